// What both popup views share: the target tab, settings, the models and the progress event routing.
import type { TabInfoReply } from '../shared/protocol.js';
import type { Settings } from '../shared/settings.js';
import type { ModelsStore } from '../ui/models.js';
import type { ProgressHub } from './progress-hub.js';
import type { View } from './tabs.js';

export interface PopupContext {
  /** the tab the popup works on; undefined when none could be found */
  tabId: number | undefined;
  /** tab/info's answer, or why it could not be had */
  tab: TabInfoReply;
  settings: Settings;
  store: ModelsStore;
  hub: ProgressHub;
  switchView: (view: View) => void;
}
