// The popup's "Open side panel" button: Chrome's side panel (chrome.sidePanel.open, in the target tab's window)
// or Firefox's sidebar (sidebarAction.open). Both must be called inside the click's user gesture, so what they
// need (the window) is looked up ahead of the click. Hidden in the panel itself and where the browser has none.
import browser from 'webextension-polyfill';
import { byId } from '../ui/dom.js';
import { errorText } from '../ui/format.js';
import { chromeSidePanel } from '../shared/side-panel.js';
import type { PopupContext } from './context.js';

function opener(): ((windowId: number | undefined) => Promise<void>) | undefined {
  if (__LENS_BROWSER__ === 'firefox') {
    const sidebar = (browser as { sidebarAction?: { open(): Promise<void> } }).sidebarAction;
    return sidebar ? () => sidebar.open() : undefined;
  }
  const panel = chromeSidePanel();
  if (!panel) return undefined;
  return (windowId) => (windowId === undefined ? Promise.reject(new Error('no browser window to open it in')) : panel.open({ windowId }));
}

export function setUpPanelButton(ctx: PopupContext): void {
  const button = byId<HTMLButtonElement>('open-panel');
  const open = ctx.surface === 'panel' ? undefined : opener();
  button.hidden = open === undefined;
  if (!open) return;
  // the window of the tab the popup is about (a page opened for a tab may be a window of its own)
  let windowId: number | undefined;
  const tabWindow = ctx.tabId !== undefined ? browser.tabs.get(ctx.tabId).then((t) => t.windowId) : Promise.resolve(undefined);
  void tabWindow
    .catch(() => undefined)
    .then(async (id) => id ?? (await browser.windows.getCurrent()).id)
    .then((id) => (windowId = id))
    .catch(() => undefined);
  button.addEventListener('click', () => {
    // no await before open(): the user gesture must still hold
    open(windowId).then(
      () => {
        button.dataset.opened = 'true';
        // the toolbar popup gives way to the panel; a page opened for a tab stays
        if (ctx.surface === 'popup') window.close();
      },
      (err: unknown) => {
        button.title = `Could not open the side panel: ${errorText(err)}`;
        button.dataset.error = errorText(err);
      },
    );
  });
}
