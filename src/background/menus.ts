// The context menu on a selection: "Ask about this selection…" opens the question UI (which answers from
// the selection), "Classify this selection" shows the result in an in-page card, in the popup's last mode.
import browser, { type Menus, type Tabs } from 'webextension-polyfill';
import { newRequestId } from '../shared/messaging.js';
import type { ShowCardRequest } from '../shared/protocol.js';
import { registryEntry } from '../shared/registry.js';
import { classifyModelId, getSettings } from '../shared/settings.js';
import { classifyText } from './classify.js';
import type { EngineHost } from './engines.js';
import { askContent } from './tabs.js';

export const MENU_ASK = 'lens-ask-selection';
export const MENU_CLASSIFY = 'lens-classify-selection';

export function createMenus(): void {
  browser.contextMenus.removeAll().then(() => {
    browser.contextMenus.create({ id: MENU_ASK, title: 'Ask about this selection…', contexts: ['selection'] });
    browser.contextMenus.create({ id: MENU_CLASSIFY, title: 'Classify this selection', contexts: ['selection'] });
  }, () => undefined);
}

/** Opens the question UI for a tab: the toolbar popup where the browser allows it, else a small window. */
export async function openQuestionUi(tabId: number, view: 'ask' | 'classify', text?: string): Promise<'popup' | 'window'> {
  if (text === undefined) {
    try {
      await browser.action.openPopup();
      return 'popup';
    } catch {
      // not allowed here (no user gesture, or an older browser): fall through to a window
    }
  }
  const params = new URLSearchParams({ tab: String(tabId), view });
  if (text !== undefined) params.set('text', text);
  await browser.windows.create({ url: browser.runtime.getURL(`src/popup/popup.html?${params}`), type: 'popup', width: 420, height: 640 });
  return 'window';
}

/** What a click on one of the menu items does; also the entry point tests drive. */
export async function handleMenuClick(engines: EngineHost, info: Pick<Menus.OnClickData, 'menuItemId' | 'selectionText'>, tab: Pick<Tabs.Tab, 'id'> | undefined): Promise<void> {
  const tabId = tab?.id;
  if (tabId === undefined) return;
  if (info.menuItemId === MENU_ASK) {
    await openQuestionUi(tabId, 'ask');
    return;
  }
  if (info.menuItemId !== MENU_CLASSIFY) return;
  const text = (info.selectionText ?? '').trim();
  const title = 'Lens · Classification';
  const show = (result: ShowCardRequest['result']) =>
    askContent(tabId, { type: 'content/show-card', title, text, result });
  if (!text) {
    await show({ error: 'Select some text first.' });
    return;
  }
  // the mode last picked in the popup's Classify tab: sentiment, or zero-shot with the remembered labels
  const settings = await getSettings();
  const mode = settings.classifyMode;
  const entry = registryEntry(classifyModelId(settings, mode));
  await show({ pending: true });
  try {
    const reply = await classifyText(engines, { type: 'classify/run', requestId: newRequestId(), text, mode });
    await show({ scores: reply.scores });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await show({ error: /not installed/.test(message) ? `${entry.name} is not downloaded yet. Open Lens (toolbar button) › Classify to download it.` : message });
  }
}
