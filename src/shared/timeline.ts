// Where a cold start goes: each extension context (the service worker, the offscreen document) records named
// moments as wall-clock milliseconds (performance.timeOrigin + performance.now(), comparable across contexts),
// and the next reply carries what was recorded since the one before. The popup never shows them; the bench
// (bench/browser/cold-start.ts) lines them up against the time the question was sent. Diagnostics only: with
// two requests in flight one reply may carry marks of the other.

export interface TimelineMark {
  /** e.g. 'worker:script', 'offscreen:session-created' */
  name: string;
  /** epoch milliseconds, fractional */
  at: number;
}

const pending: TimelineMark[] = [];
/** a bound: a context that is never asked anything does not grow its list */
const MAX_PENDING = 200;

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function mark(name: string, at: number = now()): void {
  if (pending.length >= MAX_PENDING) pending.shift();
  pending.push({ name, at });
}

/** The marks recorded since the last call (the reply that takes them carries them). */
export function takeMarks(): TimelineMark[] {
  return pending.splice(0, pending.length);
}
