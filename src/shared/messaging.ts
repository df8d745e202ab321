// Typed send/receive over the extension's message channels. Replies travel as Reply<T> values so an error
// thrown in the background arrives as a clear message instead of a generic "message port closed".
import browser from 'webextension-polyfill';
import type { BackgroundEvent, BackgroundReplies, BackgroundRequest, ContentReplies, ContentRequest, Reply } from './protocol.js';

/** The value of a Reply envelope, or its error thrown as an Error. */
export function unwrapReply<T>(reply: unknown, what: string): T {
  if (typeof reply !== 'object' || reply === null || !('ok' in reply)) throw new Error(`no reply to ${what}`);
  const r = reply as Reply<T>;
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** A request to the background; resolves to its typed reply or rejects with the background's error message. */
export async function sendToBackground<R extends BackgroundRequest>(request: R): Promise<BackgroundReplies[R['type']]> {
  const reply: unknown = await browser.runtime.sendMessage(request);
  return unwrapReply(reply, request.type);
}

/**
 * A request to the background, resolving with what came back as it came (a Reply envelope, or undefined when
 * no listener answered) and rejecting only when the channel failed: for callers that tell the two apart.
 */
export function sendToBackgroundRaw(request: BackgroundRequest): Promise<unknown> {
  return browser.runtime.sendMessage(request);
}

/** A request to a tab's content script (top frame). */
export async function sendToContent<R extends ContentRequest>(tabId: number, request: R): Promise<ContentReplies[R['type']]> {
  const reply: unknown = await browser.tabs.sendMessage(tabId, request, { frameId: 0 });
  return unwrapReply(reply, request.type);
}

/** Runs a handler and packs its result or error into a Reply. */
export async function toReply<T>(work: () => Promise<T>): Promise<Reply<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Background -> pages broadcast; nobody listening (popup closed) is normal, not an error. */
export function broadcast(event: BackgroundEvent): void {
  browser.runtime.sendMessage(event).catch(() => undefined);
}

export function onBackgroundEvent(listener: (event: BackgroundEvent) => void): () => void {
  const handler = (msg: unknown) => {
    if (typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' && (msg as { type: string }).type.startsWith('event/')) {
      listener(msg as BackgroundEvent);
    }
  };
  browser.runtime.onMessage.addListener(handler);
  return () => browser.runtime.onMessage.removeListener(handler);
}

export function newRequestId(): string {
  return crypto.randomUUID();
}
