// The side panel's keyboard shortcut in Chrome: the manifest's "open-side-panel" command opens the panel in the
// window it was pressed in. (Firefox opens its sidebar with the built-in _execute_sidebar_action command, which
// vite.config.ts puts in its manifest instead; nothing to do here.)
import browser from 'webextension-polyfill';
import { chromeSidePanel } from '../shared/side-panel.js';

export const OPEN_SIDE_PANEL_COMMAND = 'open-side-panel';

export function listenSidePanelCommand(): void {
  if (__LENS_BROWSER__ !== 'chrome') return;
  browser.commands.onCommand.addListener((command, tab) => {
    if (command !== OPEN_SIDE_PANEL_COMMAND) return;
    const panel = chromeSidePanel();
    if (!panel) return;
    // called at once, inside the shortcut's user gesture (an await first would lose it)
    const opened =
      tab?.windowId !== undefined
        ? panel.open({ windowId: tab.windowId })
        : // no tab given: best effort (the gesture may have expired by then)
          browser.windows.getLastFocused().then((w) => (w.id !== undefined ? panel.open({ windowId: w.id }) : undefined));
    opened.catch((err: unknown) => console.warn('Lens: could not open the side panel', err));
  });
}
