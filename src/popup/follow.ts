// The side panel's tab: the active tab of the panel's own window, followed as the user switches tabs there or
// the tab goes to another page. Chrome's side panel and Firefox's sidebar are one document per window that
// stays open across tabs, so both follow tabs.onActivated for their window. The panel document opened in a
// tab of its own (popup.html?panel=1 typed or bookmarked) never targets itself: it follows the other tabs of its
// window, starting from the one used last. These listeners live in the panel page, which is open anyway: the
// background keeps none (see src/background/tab-history.ts).
import browser from 'webextension-polyfill';

/** 'activated': another tab became the target; 'navigated': the target went to another document; 'loaded': it finished loading. */
export type FollowReason = 'activated' | 'navigated' | 'loaded';

const documentUrl = (url: string | undefined) => (url ?? '').split('#')[0];

export class ActiveTabFollower {
  /** the tab followed now */
  tabId: number | undefined;
  private url: string | undefined;

  private constructor(
    private readonly windowId: number | undefined,
    private readonly ownTabId: number | undefined,
  ) {}

  /** Finds the panel's window and its active tab; `onChange` hears every later change of target or of its page. */
  static async start(onChange: (tabId: number | undefined, reason: FollowReason) => void): Promise<ActiveTabFollower> {
    const [win, own] = await Promise.all([browser.windows.getCurrent().catch(() => undefined), browser.tabs.getCurrent().catch(() => undefined)]);
    const follower = new ActiveTabFollower(win?.id, own?.id);
    // listening before looking: a tab activated meanwhile is not missed (and wins over what the query saw)
    follower.listen(onChange);
    await follower.pick();
    return follower;
  }

  /** counts changes of target: a query that started before one does not overwrite it */
  private changes = 0;

  /** The window's active tab, or (the panel being that tab) the other tab used last. */
  private async pick(): Promise<void> {
    const before = this.changes;
    const tabs = await browser.tabs.query(this.windowId !== undefined ? { windowId: this.windowId } : { currentWindow: true }).catch(() => []);
    if (this.changes !== before) return;
    const others = tabs.filter((t) => t.id !== undefined && t.id !== this.ownTabId);
    const tab = others.find((t) => t.active) ?? others.sort((a, b) => (b.lastAccessed ?? 0) - (a.lastAccessed ?? 0))[0];
    this.tabId = tab?.id;
    this.url = tab?.url;
  }

  private listen(onChange: (tabId: number | undefined, reason: FollowReason) => void): void {
    browser.tabs.onActivated.addListener(({ tabId, windowId }) => {
      if (windowId !== this.windowId || tabId === this.ownTabId || tabId === this.tabId) return;
      this.changes++;
      this.tabId = tabId;
      this.url = undefined;
      void browser.tabs
        .get(tabId)
        .then((t) => tabId === this.tabId && (this.url = t.url))
        .catch(() => undefined);
      onChange(tabId, 'activated');
    });
    browser.tabs.onUpdated.addListener((tabId, change) => {
      if (tabId !== this.tabId) return;
      if (change.url !== undefined) {
        const before = this.url;
        this.url = change.url;
        // a change of the #hash alone is the same document (and keeps its history)
        if (documentUrl(change.url) !== documentUrl(before)) onChange(tabId, 'navigated');
      } else if (change.status === 'complete') {
        onChange(tabId, 'loaded');
      }
    });
    browser.tabs.onRemoved.addListener((tabId) => {
      if (tabId !== this.tabId) return;
      // the browser activates another tab (onActivated follows); a window left without one has no target
      this.changes++;
      void this.pick().then(() => onChange(this.tabId, 'activated'));
    });
  }
}
