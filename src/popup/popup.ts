// The toolbar popup (also opened as a small window or a tab with ?tab=<id>&view=ask|classify&text=…, by the
// context menu and by tests), and the side panel (?panel: Chrome's side panel, Firefox's sidebar), which follows
// the active tab of its window (./follow.ts).
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
import type { PopupContext, Surface } from './context.js';
import { ActiveTabFollower, type FollowReason } from './follow.js';
import { HistoryView } from './history.js';
import { ProgressHub } from './progress-hub.js';
import { setUpPanelButton } from './side-panel.js';
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
  const line = byId('page-line');
  line.hidden = !info.title && !info.url;
  if (line.hidden) return;
  byId('page-title').textContent = info.title || hostOf(info.url);
  byId('page-host').textContent = info.title && /^https?:/.test(info.url) ? hostOf(info.url) : '';
  line.title = info.url;
}

function surfaceOf(params: URLSearchParams): Surface {
  if (params.has('panel')) return 'panel';
  return params.has('tab') ? 'page' : 'popup';
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const surface = surfaceOf(params);
  // opened as a window, a tab or the side panel rather than the toolbar popup: let the layout use the width it has
  document.documentElement.classList.toggle('as-page', surface !== 'popup');
  document.documentElement.classList.toggle('as-panel', surface === 'panel');
  document.documentElement.dataset.surface = surface;

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

  // the side panel follows the active tab of its window; its changes are applied once the views exist
  let follow: (tabId: number | undefined, reason: FollowReason) => void = () => undefined;
  const follower = surface === 'panel' ? await ActiveTabFollower.start((tabId, reason) => follow(tabId, reason)) : undefined;
  const tabId = follower ? follower.tabId : await targetTab(params).catch(() => undefined);
  const [settings, tab] = await Promise.all([getSettings(), tabInfo(tabId)]);
  showPage(tab);

  const ctx: PopupContext = { surface, tabId, tab, settings, store, hub, switchView: (view) => strip.select(view, true) };
  // which tab the view works on (the side panel's changes as it follows tabs)
  document.documentElement.dataset.tabId = String(tabId ?? '');
  setUpPanelButton(ctx);
  const views = { ask: new AskView(ctx), classify: new ClassifyView(ctx, params.get('text') ?? '') };
  made.ask = views.ask;
  const history = new HistoryView(ctx);
  void history.refresh();
  if (follower) {
    follow = retargeter(ctx, views.ask, history);
    // the user switched tabs while the panel was starting
    if (follower.tabId !== ctx.tabId) follow(follower.tabId, 'activated');
  }
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

/**
 * What the side panel does when its tab changes: the tab's info again, then the Ask view and the history start
 * over for it. A tab that only finished loading keeps the view as it is unless what Lens can do there changed.
 */
function retargeter(ctx: PopupContext, ask: AskView, history: HistoryView): (tabId: number | undefined, reason: FollowReason) => void {
  let seq = 0;
  return (tabId, reason) => {
    const mine = ++seq;
    void tabInfo(tabId).then((tab) => {
      if (mine !== seq) return;
      const before = ctx.tab;
      const same = reason === 'loaded' && tabId === ctx.tabId && before.readable === tab.readable && before.pdf === undefined && tab.pdf === undefined;
      ctx.tabId = tabId;
      ctx.tab = tab;
      showPage(tab);
      document.documentElement.dataset.tabId = String(tabId ?? '');
      if (!same) ask.retarget();
      void history.refresh();
    });
  };
}

main().catch((err: unknown) => {
  document.body.textContent = `Lens could not start: ${errorText(err)}`;
});
