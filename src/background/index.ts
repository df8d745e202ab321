// The background: hosts the models and routes messages. It holds no state that matters across restarts
// (a Chrome service worker is stopped when idle): models are rebuilt from Cache Storage on the next request.
import browser from 'webextension-polyfill';
import { Downloads } from './downloads.js';
import { EngineHost } from './engines.js';
import { createMenus, handleMenuClick } from './menus.js';
import { listen } from './router.js';

const engines = new EngineHost();
const downloads = new Downloads(engines);

listen(engines, downloads);

browser.runtime.onInstalled.addListener(createMenus);
browser.contextMenus.onClicked.addListener((info, tab) => {
  void handleMenuClick(engines, info, tab);
});

// The same entry point the context menu uses, for end-to-end tests (menus cannot be clicked by automation).
(globalThis as { lens?: unknown }).lens = {
  handleMenuClick: (info: { menuItemId: string; selectionText?: string }, tab: { id: number }) => handleMenuClick(engines, info, tab),
};
