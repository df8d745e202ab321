// Chrome's side panel API, which webextension-polyfill does not type (Chrome 116+); undefined elsewhere (Firefox
// has its sidebar instead: sidebarAction).

export interface SidePanelApi {
  open(options: { windowId?: number; tabId?: number }): Promise<void>;
}

export function chromeSidePanel(): SidePanelApi | undefined {
  const panel = (globalThis as { chrome?: { sidePanel?: SidePanelApi } }).chrome?.sidePanel;
  return typeof panel?.open === 'function' ? panel : undefined;
}
