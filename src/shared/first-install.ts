// What a hub download fetches and what each file must hash to: the download plan. For an entry pinned by Lens
// it is the registry's commit and sha256s. For a "pin": "first-install" entry it is, at the first install, the
// commit the hub's API resolves its branch to and the hub's own hashes at that commit (the LFS sha256 of the
// weights; the git blob id of small files), and from then on what this profile recorded then (a DevicePin): the
// same commit and the sha256 of every file it stored, so a later download that differs is refused.
// Pure functions over JSON and bytes: unit-tested in Node (tests/first-install.test.ts).
import { weightFiles } from './model-files.js';
import { COMMIT_HASH, type RegistryEntry } from './registry.js';

/** A commit and file hashes recorded on this device at a "first-install" entry's first install. */
export interface DevicePin {
  repo: string;
  branch: string;
  commit: string;
  files: Array<{ path: string; sha256: string; size: number }>;
  pinnedAt: number;
}

/** Who vouches for a file's hash: the registry, this device's pin, the hub (LFS sha256, or git blob id) at the resolved commit. */
export type HashSource = 'registry' | 'device' | 'hub-lfs' | 'hub-git';

export interface PlannedFile {
  path: string;
  /** bytes; exact unless approx */
  size?: number;
  approx?: boolean;
  optional?: boolean;
  /** what the bytes must hash to, and who says so; undefined: only the hub's X-Linked-Etag, if it sends one */
  sha256?: string;
  /** git's blob id (sha1 of "blob <size>\0" + bytes): what the hub's API gives for a file not in LFS */
  gitBlob?: string;
  by?: HashSource;
}

export interface DownloadPlan {
  /** the commit every file is fetched at */
  revision: string;
  files: PlannedFile[];
  /** a first install: the pin to record once the install completes */
  firstInstall?: { branch: string };
}

/** An entry pinned by Lens: its commit and the registry's hashes. */
export function registryPlan(entry: RegistryEntry): DownloadPlan {
  if (!entry.revision) throw new Error(`${entry.name} has no pinned revision in the registry`);
  return { revision: entry.revision, files: entry.files.map((f) => ({ ...f, ...(f.sha256 ? { by: 'registry' as const } : {}) })) };
}

/** Whether a pin recorded on this device still belongs to the entry (the registry may since name another repo or branch). */
export function pinFits(entry: RegistryEntry, pin: DevicePin | undefined): pin is DevicePin {
  return pin !== undefined && pin.repo === entry.repo && pin.branch === entry.branch && COMMIT_HASH.test(pin.commit);
}

/** A "first-install" entry installed before: the recorded commit and every file's recorded sha256. */
export function devicePinPlan(entry: RegistryEntry, pin: DevicePin): DownloadPlan {
  const recorded = new Map(pin.files.map((f) => [f.path, f]));
  const files: PlannedFile[] = [];
  for (const f of entry.files) {
    const r = recorded.get(f.path);
    if (r) files.push({ path: f.path, size: r.size, sha256: r.sha256, by: 'device' });
    // an optional file the first install did not find is not looked for again: the commit has not changed
    else if (!f.optional) throw new Error(`${entry.name} was pinned on this device at commit ${pin.commit.slice(0, 7)} without ${f.path}, which this version of Lens needs; the pin cannot vouch for it`);
  }
  return { revision: pin.commit, files };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SHA256 = /^[0-9a-f]{64}$/;
const SHA1 = /^[0-9a-f]{40}$/;
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * A "first-install" entry's first install: the hub's answer to GET /api/models/{repo}/revision/{branch}?blobs=true
 * ({ sha, siblings: [{ rfilename, size, blobId, lfs?: { sha256, size } }] }) made into a plan at that commit. The
 * weights must be LFS files with a sha256 (the hub's own hash of the content, which the download is checked
 * against); small files are checked against their git blob id. Anything missing or malformed is refused before a
 * file is fetched.
 */
export function hubRevisionPlan(entry: RegistryEntry, json: unknown): DownloadPlan {
  const where = `the hub's answer for ${entry.repo} at ${entry.branch ?? '?'}`;
  if (!isRecord(json)) throw new Error(`${where} is not a JSON object`);
  const commit = json.sha;
  if (typeof commit !== 'string' || !COMMIT_HASH.test(commit)) throw new Error(`${where} names no full commit hash (sha: ${JSON.stringify(commit)}); Lens cannot pin it`);
  if (!Array.isArray(json.siblings)) throw new Error(`${where} lists no files (siblings)`);
  // file names from the hub are keys of a Map, never of an object
  const siblings = new Map<string, Record<string, unknown>>();
  for (const s of json.siblings) if (isRecord(s) && typeof s.rfilename === 'string') siblings.set(s.rfilename, s);
  const weights = new Set(weightFiles(entry.files.map((f) => f.path)));
  const at = `${entry.repo} at commit ${commit.slice(0, 7)} (${entry.branch})`;
  const files: PlannedFile[] = [];
  for (const f of entry.files) {
    const s = siblings.get(f.path);
    if (!s) {
      if (f.optional) continue;
      throw new Error(`the hub lists no ${f.path} in ${at}`);
    }
    const lfs = isRecord(s.lfs) ? s.lfs : undefined;
    const lfsSha = typeof lfs?.sha256 === 'string' ? lfs.sha256.toLowerCase() : undefined;
    if (lfs && lfsSha && SHA256.test(lfsSha)) {
      const size = isSize(lfs.size) ? lfs.size : isSize(s.size) ? s.size : undefined;
      files.push({ path: f.path, ...(size === undefined ? {} : { size }), sha256: lfsSha, by: 'hub-lfs', ...(f.optional ? { optional: true } : {}) });
      continue;
    }
    if (weights.has(f.path)) throw new Error(`the hub gives no LFS sha256 for ${f.path} in ${at}, so Lens could not check the weights it would download: refused`);
    const blob = typeof s.blobId === 'string' ? s.blobId.toLowerCase() : undefined;
    if (!blob || !SHA1.test(blob) || !isSize(s.size)) throw new Error(`the hub gives no git blob id and size for ${f.path} in ${at}: refused`);
    files.push({ path: f.path, size: s.size, gitBlob: blob, by: 'hub-git', ...(f.optional ? { optional: true } : {}) });
  }
  return { revision: commit, files, firstInstall: { branch: entry.branch ?? '' } };
}

const hex = (digest: ArrayBuffer) => [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** git's blob id of these bytes: sha1("blob <length>\0" + bytes), what the hub reports for files not in LFS. */
export async function gitBlobId(bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const all = new Uint8Array(head.length + bytes.length);
  all.set(head);
  all.set(bytes, head.length);
  return hex(await crypto.subtle.digest('SHA-1', all));
}

/** In words, for the consent screen and options: which tier, and for a first install done, the commit. */
export function pinText(entry: RegistryEntry, pin: DevicePin | undefined): string {
  if (entry.pin !== 'first-install') return `pinned by Lens (commit ${entry.revision?.slice(0, 7)}, sha256 of the weights in the registry)`;
  if (pinFits(entry, pin)) return `pinned on this device at first install, commit ${pin.commit.slice(0, 7)}`;
  return `pinned on this device at first install (branch ${entry.branch} is resolved to a commit and checked against the hub's sha256)`;
}
