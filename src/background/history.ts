// Each tab's history of answered questions (the side panel and the popup list it under the answer area): kept in
// a storage area the caller passes in (storage.session in the extension: it outlives a restart of Chrome's
// service worker, not the browser), newest first, at most HISTORY_PER_TAB per tab. It belongs to the document the
// tab showed: once the tab shows another URL (a change of the #hash alone is the same document) it is cleared, as
// it is when the tab closes. No browser imports: the unit tests run it over a Map (tests/history.test.ts);
// src/background/tab-history.ts wires it to the browser.
import { HISTORY_PER_TAB, type AskReply, type AskRequest, type HistoryEntry } from '../shared/protocol.js';

/** What is stored per tab: the URL its entries belong to, and the entries, newest first. */
export interface TabHistory {
  url: string;
  entries: HistoryEntry[];
}

/** The slice of a browser storage area (storage.session) the store uses. */
export interface HistoryArea {
  /** null: every item */
  get(key: string | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(key: string): Promise<void>;
}

export const historyKey = (tabId: number): string => `history:${tabId}`;

/** The URL without its #fragment: two URLs that differ only there show the same document. */
export function documentUrl(url: string): string {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
}

/**
 * Whether a tab's history recorded at `recorded` still holds at `current`: the same document. An unknown URL
 * ('' or undefined: a page the extension may not see) holds only for a history recorded without one.
 */
export function historyHolds(recorded: string, current: string | undefined): boolean {
  return documentUrl(recorded) === documentUrl(current ?? '');
}

/** The entry a question and its reply make. */
export function entryOf(req: Pick<AskRequest, 'question' | 'scope'>, reply: AskReply, at: number, id: string): HistoryEntry {
  return {
    id,
    question: req.question.trim(),
    scope: reply.scope,
    // only what the list shows and qa/highlight needs (no diagnostics)
    answers: reply.answers.map((a) => ({ text: a.text, start: a.start, end: a.end, score: a.score, ...(a.page !== undefined ? { page: a.page } : {}) })),
    abstained: reply.abstained,
    ...(reply.noText ? { noText: true } : {}),
    snapshotId: reply.snapshotId,
    at,
  };
}

/** The tab's history with `entry` added at `url`: newest first, at most `cap`; a history of another document is dropped. */
export function withEntry(history: TabHistory | undefined, url: string, entry: HistoryEntry, cap: number = HISTORY_PER_TAB): TabHistory {
  const earlier = history && historyHolds(history.url, url) ? history.entries : [];
  return { url, entries: [entry, ...earlier].slice(0, Math.max(1, cap)) };
}

function isEntry(e: unknown): e is HistoryEntry {
  if (typeof e !== 'object' || e === null) return false;
  const m = e as Record<string, unknown>;
  return typeof m.id === 'string' && typeof m.question === 'string' && typeof m.snapshotId === 'string' && Array.isArray(m.answers) && typeof m.at === 'number';
}

/** A stored value read back, or undefined when it is not a history (absent, or written by another version). */
export function parseHistory(value: unknown): TabHistory | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { url, entries } = value as Record<string, unknown>;
  if (typeof url !== 'string' || !Array.isArray(entries)) return undefined;
  return { url, entries: entries.filter(isEntry) };
}

export interface HistoryStoreOptions {
  /** told after a tab's history changed (recorded, cleared) */
  notify?: (tabId: number) => void;
  now?: () => number;
  newId?: () => string;
  cap?: number;
}

/** The histories in a storage area. Its operations run one after another, so concurrent answers are all kept. */
export class HistoryStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly area: HistoryArea,
    private readonly options: HistoryStoreOptions = {},
  ) {}

  /** Runs after every operation queued before it (a failed one does not stop the queue). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(tabId: number): Promise<TabHistory | undefined> {
    const key = historyKey(tabId);
    return parseHistory((await this.area.get(key))[key]);
  }

  private async clear(tabId: number): Promise<boolean> {
    if (!(await this.read(tabId))) return false;
    await this.area.remove(historyKey(tabId));
    this.options.notify?.(tabId);
    return true;
  }

  /** Records a question the tab (at `url`) answered; returns the entry. */
  record(tabId: number, url: string, req: Pick<AskRequest, 'question' | 'scope'>, reply: AskReply): Promise<HistoryEntry> {
    return this.serial(async () => {
      const entry = entryOf(req, reply, (this.options.now ?? Date.now)(), (this.options.newId ?? (() => crypto.randomUUID()))());
      const next = withEntry(await this.read(tabId), url, entry, this.options.cap);
      await this.area.set({ [historyKey(tabId)]: next });
      this.options.notify?.(tabId);
      return entry;
    });
  }

  /**
   * The tab's entries, newest first. With `currentUrl` (what the tab shows now; undefined: a URL the extension
   * may not see) a history of another document is cleared first: the tab navigated since (a #hash change aside).
   */
  list(tabId: number, currentUrl: string | undefined): Promise<HistoryEntry[]> {
    return this.serial(async () => {
      const history = await this.read(tabId);
      if (!history) return [];
      if (!historyHolds(history.url, currentUrl)) {
        await this.clear(tabId);
        return [];
      }
      return history.entries;
    });
  }

  /** The tab closed. */
  removed(tabId: number): Promise<boolean> {
    return this.serial(() => this.clear(tabId));
  }

  /** Clears the histories of tabs not in `open` (closed since); returns their ids. */
  prune(open: ReadonlySet<number>): Promise<number[]> {
    return this.serial(async () => {
      const gone = Object.keys(await this.area.get(null))
        .map((key) => /^history:(\d+)$/.exec(key)?.[1])
        .filter((id): id is string => id !== undefined)
        .map(Number)
        .filter((id) => !open.has(id));
      for (const id of gone) await this.clear(id);
      return gone;
    });
  }
}
