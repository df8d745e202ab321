// The model registry (models/registry.json): which models exist, where on the hub, which files.
import registryJson from '../../models/registry.json' with { type: 'json' };
import type { ModelTask } from './protocol.js';

export interface RegistryFile {
  path: string;
  /** bytes; exact unless approx */
  size?: number;
  approx?: boolean;
  sha256?: string;
  /** a 404 for this file is not an error */
  optional?: boolean;
}

export interface RegistryEntry {
  id: string;
  name: string;
  task: ModelTask;
  repo: string;
  revision: string;
  license: string;
  description: string;
  labels?: string[];
  files: RegistryFile[];
}

export function parseRegistry(json: unknown): RegistryEntry[] {
  const models = (json as { models?: unknown }).models;
  if (!Array.isArray(models)) throw new Error('model registry: "models" must be an array');
  const ids = new Set<string>();
  return models.map((m: Partial<RegistryEntry>, i) => {
    for (const key of ['id', 'name', 'task', 'repo', 'revision', 'license', 'description'] as const) {
      if (typeof m[key] !== 'string' || m[key] === '') throw new Error(`model registry entry ${i}: "${key}" must be a non-empty string`);
    }
    if (!['qa', 'zero-shot', 'classify'].includes(m.task as string)) throw new Error(`model registry entry ${m.id}: unknown task "${m.task}"`);
    if (ids.has(m.id as string)) throw new Error(`model registry: duplicate id "${m.id}"`);
    ids.add(m.id as string);
    if (!Array.isArray(m.files) || m.files.length === 0) throw new Error(`model registry entry ${m.id}: no files`);
    for (const f of m.files) {
      if (typeof f.path !== 'string' || f.path.startsWith('/') || f.path.split('/').includes('..')) throw new Error(`model registry entry ${m.id}: bad file path ${JSON.stringify(f.path)}`);
    }
    return m as RegistryEntry;
  });
}

export const REGISTRY: readonly RegistryEntry[] = parseRegistry(registryJson);

export function registryEntry(id: string): RegistryEntry {
  const entry = REGISTRY.find((m) => m.id === id);
  if (!entry) throw new Error(`unknown model "${id}" (known: ${REGISTRY.map((m) => m.id).join(', ')})`);
  return entry;
}

/** Download size as the registry states it. */
export function approxBytes(entry: RegistryEntry): number {
  return entry.files.reduce((sum, f) => sum + (f.size ?? 0), 0);
}

/** The Hugging Face URL layout: {hub}/{repo}/resolve/{revision}/{file}. */
export function hubFileUrl(hubBaseUrl: string, entry: RegistryEntry, path: string): string {
  const enc = (s: string) => s.split('/').map(encodeURIComponent).join('/');
  return `${hubBaseUrl.replace(/\/+$/, '')}/${enc(entry.repo)}/resolve/${encodeURIComponent(entry.revision)}/${enc(path)}`;
}
