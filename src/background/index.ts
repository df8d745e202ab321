// The background: hosts the models and routes messages. It holds no state that matters across restarts
// (a Chrome service worker is stopped when idle): models are rebuilt from Cache Storage on the next request.
import browser from 'webextension-polyfill';
import { EngineHost } from './engines.js';
import { Installs } from './installs.js';
import { createMenus, handleMenuClick } from './menus.js';
import { listen } from './router.js';
import { removeUnlisted } from '../shared/model-store.js';
import { REGISTRY } from '../shared/registry.js';
import { mark } from '../shared/timeline.js';

// when this worker was started, and when its script (bundle included) had run: the first reply carries them
mark('worker:origin', performance.timeOrigin);
mark('worker:script');

const engines = new EngineHost();
const installs = new Installs(engines);

listen(engines, installs);

browser.runtime.onInstalled.addListener(() => {
  createMenus();
  // after an update: models the new registry no longer lists are removed, files and all
  void removeUnlisted(REGISTRY.map((m) => m.id))
    .then((gone) => gone.length > 0 && console.info(`Lens: removed models no longer in the registry: ${gone.join(', ')}`))
    .catch((err: unknown) => console.warn('Lens: could not remove models no longer in the registry', err));
});
browser.contextMenus.onClicked.addListener((info, tab) => {
  void handleMenuClick(engines, info, tab);
});

// For end-to-end tests: the entry point the context menu uses (menus cannot be clicked by automation), and
// the ONNX file each model loaded in this context runs.
(globalThis as { lens?: unknown }).lens = {
  handleMenuClick: (info: { menuItemId: string; selectionText?: string }, tab: { id: number }) => handleMenuClick(engines, info, tab),
  onnxFiles: () => engines.onnxFiles(),
};
