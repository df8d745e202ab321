// Numbers for people: sizes in decimal units (as download sizes are usually quoted), percentages, dates.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

function unitFor(bytes: number): number {
  let u = 0;
  while (u < UNITS.length - 1 && Math.abs(bytes) >= 1000 ** (u + 1) * 0.9995) u++;
  return u;
}

function inUnit(bytes: number, u: number): string {
  const v = bytes / 1000 ** u;
  if (u === 0) return String(Math.round(v));
  // one decimal below 100 units ("12.3 MB"), none above ("232 kB"); "99.0" reads as "99"
  const s = v >= 99.95 ? Math.round(v).toString() : v.toFixed(1);
  return s.replace(/\.0$/, '');
}

/** 99000000 -> "99 MB", 12345678 -> "12.3 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const u = unitFor(bytes);
  return `${inUnit(bytes, u)} ${UNITS[u]}`;
}

/** Progress of a download in the total's unit: "12.3 of 99 MB"; just the amount when the total is unknown. */
export function formatBytesProgress(done: number, total: number | undefined): string {
  if (total === undefined || !Number.isFinite(total) || total <= 0) return formatBytes(done);
  const u = unitFor(total);
  return `${inUnit(Math.min(done, total), u)} of ${inUnit(total, u)} ${UNITS[u]}`;
}

/** What the model read of the page: "Read 9 passages, 31% of the page" (or "the whole page"). */
export function readShareText(passages: number, pageTokensRead: number, pageTokens: number): string {
  if (passages <= 0 || pageTokens <= 0) return '';
  const count = `${formatCount(passages)} passage${passages === 1 ? '' : 's'}`;
  return pageTokensRead >= pageTokens ? `Read the whole page (${count})` : `Read ${count}, ${formatPercent(pageTokensRead / pageTokens)} of the page`;
}

/** 0.873 -> "87%"; tiny but non-zero scores show as "<1%" rather than a misleading "0%". */
export function formatPercent(score: number): string {
  if (!Number.isFinite(score)) return '—';
  const p = Math.max(0, Math.min(1, score)) * 100;
  if (p > 0 && p < 0.5) return '<1%';
  if (p < 100 && p > 99.5) return '>99%';
  return `${Math.round(p)}%`;
}

/** Width for a bar: at least a sliver so a non-zero score stays visible. */
export function barWidth(score: number): string {
  const p = Math.max(0, Math.min(1, Number.isFinite(score) ? score : 0)) * 100;
  return `${p > 0 ? Math.max(p, 1.5) : 0}%`;
}

export function fraction(done: number, total: number | undefined): number | undefined {
  if (total === undefined || !Number.isFinite(total) || total <= 0) return undefined;
  return Math.max(0, Math.min(1, done / total));
}

export function formatDate(ms: number): string {
  return new Date(ms).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en');
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** An error as a sentence for the UI: the background's messages are lower-case clauses. */
export function errorText(err: unknown): string {
  const raw = (err instanceof Error ? err.message : String(err)).trim() || 'Something went wrong';
  const s = raw.charAt(0).toUpperCase() + raw.slice(1);
  return /[.!?…)]$/.test(s) ? s : `${s}.`;
}
