// What both popup views share: the target tab, settings, the models and the progress event routing.
import type { TabInfoReply } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';
import type { ModelsStore } from '../ui/models.js';
import type { ProgressHub } from './progress-hub.js';
import type { View } from './tabs.js';

/**
 * Where popup.html runs: the toolbar popup; a page (a window or tab opened for one tab, ?tab=<id>); or the side
 * panel (?panel; Chrome's side panel, Firefox's sidebar), which follows the active tab of its window.
 */
export type Surface = 'popup' | 'page' | 'panel';

export interface PopupContext {
  surface: Surface;
  /** the tab the popup works on; undefined when none could be found (the side panel changes it as tabs change) */
  tabId: number | undefined;
  /** tab/info's answer, or why it could not be had */
  tab: TabInfoReply;
  settings: Settings;
  store: ModelsStore;
  hub: ProgressHub;
  switchView: (view: View) => void;
}
