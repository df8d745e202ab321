// A request to the background that survives the background being stopped mid-answer. Chrome stops an
// extension's service worker when it likes (idle, memory, updates): the pending sendMessage then fails with a
// closed port, or in the worst case never settles. Either way the request is gone with the worker. This sends
// it, and while waiting asks the background every few seconds whether it still has it (request/status); a
// transport failure, a reply nobody sent, or a background that does not know the request means it was lost:
// it is sent once more with a new id, and if that is lost too the caller gets a LostRequest to show "ask again".
// Errors the background replies with are not retried. No browser imports: the popup passes the channel in.

export type RequestState = 'running' | 'finished' | 'unknown';

/** The background lost the request (it was stopped and restarted by the browser), after the retries. */
export class LostRequest extends Error {
  override name = 'LostRequest';
}

export interface ResilientOptions {
  /** sends the request under this id; resolves with what came back as it came (undefined: nobody answered) */
  send(requestId: string): Promise<unknown>;
  /** the background's state of a request; rejects when the background cannot be reached */
  status(requestId: string): Promise<RequestState>;
  newId(): string;
  /** a new attempt starts (1 = the first); `lost` is the id of the attempt before it, if any */
  onAttempt?(requestId: string, attempt: number, lost?: string): void;
  /** ms between status probes (default 3000) */
  probeMs?: number;
  /** attempts after the first (default 1) */
  retries?: number;
}

/** Lost after this many probes in a row that could not reach the background, or found the job finished but no reply. */
const PROBES_BEFORE_LOST = 3;

type Outcome = { kind: 'reply'; value: unknown } | { kind: 'lost'; why: string };

function isEnvelope(value: unknown): value is { ok: true; value: unknown } | { ok: false; error: string } {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

async function attempt(opts: ResilientOptions, requestId: string): Promise<Outcome> {
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sent = opts.send(requestId).then(
    (value): Outcome => (isEnvelope(value) ? { kind: 'reply', value } : { kind: 'lost', why: 'no reply came back' }),
    (err: unknown): Outcome => ({ kind: 'lost', why: err instanceof Error ? err.message : String(err) }),
  );
  const watched = new Promise<Outcome>((resolve) => {
    let strikes = 0;
    const probe = async () => {
      if (settled) return;
      let state: RequestState | undefined;
      try {
        state = await opts.status(requestId);
      } catch {
        state = undefined;
      }
      if (settled) return;
      if (state === 'unknown') return resolve({ kind: 'lost', why: 'the background no longer has the request' });
      strikes = state === 'running' ? 0 : strikes + 1;
      if (strikes >= PROBES_BEFORE_LOST) return resolve({ kind: 'lost', why: state === 'finished' ? 'the reply never arrived' : 'the background cannot be reached' });
      timer = setTimeout(() => void probe(), opts.probeMs ?? 3000);
    };
    timer = setTimeout(() => void probe(), opts.probeMs ?? 3000);
  });
  try {
    return await Promise.race([sent, watched]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

/** The reply's value; the background's error as an Error; LostRequest when every attempt was lost. */
export async function askResilient(opts: ResilientOptions): Promise<unknown> {
  const attempts = 1 + (opts.retries ?? 1);
  let lost: string | undefined;
  let why = '';
  for (let n = 1; n <= attempts; n++) {
    const requestId = opts.newId();
    opts.onAttempt?.(requestId, n, lost);
    const outcome = await attempt(opts, requestId);
    if (outcome.kind === 'reply') {
      const reply = outcome.value as { ok: true; value: unknown } | { ok: false; error: string };
      if (!reply.ok) throw new Error(reply.error);
      return reply.value;
    }
    lost = requestId;
    why = outcome.why;
  }
  throw new LostRequest(`the request was lost ${attempts} times (last: ${why})`);
}
