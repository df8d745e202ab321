// The toolbar popup (also opened as a small window or a tab with ?tab=<id>&view=ask|classify&text=…, by the
// context menu and by tests).
import browser from 'webextension-polyfill';
import { sendToBackground } from '../shared/messaging.js';
import type { TabInfoReply } from '../shared/protocol.js';
import { getSettings } from '../shared/settings.js';
import { byId } from '../ui/dom.js';
import { errorText, hostOf } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { ModelsStore } from '../ui/models.js';
import { keepActiveIds } from './active-ids.js';
import { AskView } from './ask.js';
import { ClassifyView } from './classify.js';
import type { PopupContext } from './context.js';
import { ProgressHub } from './progress-hub.js';
import { TabStrip, type View } from './tabs.js';

const NO_TAB = "Lens can't find the page to read. Open a regular web page and try again.";

async function targetTab(params: URLSearchParams): Promise<number | undefined> {
  const fromUrl = params.get('tab');
  if (fromUrl !== null && /^\d+$/.test(fromUrl)) return Number(fromUrl);
  const [active] = await browser.tabs.query({ active: true, currentWindow: true });
  return active?.id;
}

async function tabInfo(tabId: number | undefined): Promise<TabInfoReply> {
  if (tabId === undefined) return { readable: false, reason: NO_TAB, title: '', url: '', selectionLength: 0 };
  try {
    return await sendToBackground({ type: 'tab/info', tabId });
  } catch (err) {
    return { readable: false, reason: errorText(err), title: '', url: '', selectionLength: 0 };
  }
}

function showPage(info: TabInfoReply): void {
  if (!info.title && !info.url) return;
  byId('page-title').textContent = info.title || hostOf(info.url);
  byId('page-host').textContent = info.title && /^https?:/.test(info.url) ? hostOf(info.url) : '';
  const line = byId('page-line');
  line.title = info.url;
  line.hidden = false;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  // opened as a window or tab rather than the toolbar popup: let the layout use the width it has
  document.documentElement.classList.toggle('as-page', params.has('tab'));

  const optionsButton = byId<HTMLButtonElement>('open-options');
  optionsButton.append(icon('settings'));
  optionsButton.addEventListener('click', () => void browser.runtime.openOptionsPage());

  const syncIds = keepActiveIds(document.body);
  const store = new ModelsStore();
  const hub = new ProgressHub();
  store.listen((event) => hub.dispatch(event));
  void store.refresh();

  const made: { ask?: AskView } = {}; // the views are made once the tab is known
  const strip = new TabStrip(byId('tablist'), (view) => {
    syncIds();
    made.ask?.setShown(view === 'ask');
  });
  const requested: View = params.get('view') === 'classify' ? 'classify' : 'ask';
  strip.select(requested);
  // start loading the model now, so the first answer does not wait for session creation
  sendToBackground({ type: 'models/prewarm', task: requested === 'classify' ? 'classify' : 'qa' }).catch(() => undefined);

  const tabId = await targetTab(params).catch(() => undefined);
  const [settings, tab] = await Promise.all([getSettings(), tabInfo(tabId)]);
  showPage(tab);

  const ctx: PopupContext = { tabId, tab, settings, store, hub, switchView: (view) => strip.select(view, true) };
  const views = { ask: new AskView(ctx), classify: new ClassifyView(ctx, params.get('text') ?? '') };
  made.ask = views.ask;
  // shown, it has the page read ahead of the first question
  views.ask.setShown(strip.current === 'ask');
  // focus the view's input once it is there (the form opens when the model list arrives)
  const focusCurrent = () => views[strip.current].focus();
  focusCurrent();
  const unsubscribe = store.subscribe(() => {
    if (document.activeElement === document.body) focusCurrent();
  });
  setTimeout(unsubscribe, 3000);
}

main().catch((err: unknown) => {
  document.body.textContent = `Lens could not start: ${errorText(err)}`;
});
