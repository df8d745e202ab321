// The options page: models (download, remove, import a folder), storage, the hub, default models, privacy.
import { REGISTRY } from '../shared/registry.js';
import { DEFAULT_SETTINGS, checkHubUrl, getSettings, updateSettings, type Settings } from '../shared/settings.js';
import { byId, h, replaceChildren } from '../ui/dom.js';
import { errorText, formatBytes } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { ModelsStore } from '../ui/models.js';
import { notice } from '../ui/notice.js';
import { ModelCard } from './model-card.js';

const store = new ModelsStore();
const cards = new Map<string, ModelCard>();
let settings: Settings = DEFAULT_SETTINGS;

function renderModels(): void {
  const list = store.list;
  replaceChildren(
    byId('models-error'),
    store.error
      ? notice('error', {
          title: 'Lens is not responding',
          body: errorText(store.error),
          attrs: { id: 'error', 'data-testid': 'error' },
          actions: h('button', { type: 'button', class: 'btn btn-sm', onclick: () => void store.refresh() }, 'Try again'),
        })
      : null,
  );
  if (!list) return;
  const container = byId('models');
  for (const info of list.models) {
    let card = cards.get(info.id);
    if (card) card.update(info);
    else {
      card = new ModelCard(info, store);
      cards.set(info.id, card);
      container.append(card.el);
    }
  }
  markDefaults();
  // progress events re-render the cards many times a second; the storage line only needs the list's total
  if (list.storageBytes !== shownStorageBytes) {
    shownStorageBytes = list.storageBytes;
    void renderStorage(list.storageBytes);
  }
}

let shownStorageBytes: number | undefined;

function markDefaults(): void {
  for (const [id, card] of cards) {
    card.setDefaultFor(id === settings.qaModelId ? 'questions' : id === settings.classifyModelId ? 'classification' : undefined);
  }
}

let storageSeq = 0;
async function renderStorage(modelBytes: number): Promise<void> {
  const seq = ++storageSeq;
  let estimate: StorageEstimate | undefined;
  try {
    estimate = await navigator.storage?.estimate?.();
  } catch {
    // not available (e.g. some private modes): the models' own total is enough
  }
  if (seq !== storageSeq) return;
  const browserLine =
    estimate?.usage !== undefined && estimate.quota
      ? h('p', { class: 'muted small', 'data-testid': 'storage-browser' }, `All of Lens's data: ${formatBytes(estimate.usage)}, of ${formatBytes(estimate.quota)} this browser allows it.`)
      : null;
  replaceChildren(
    byId('storage'),
    h('div', { class: 'storage-icon', 'aria-hidden': 'true' }, icon('box')),
    h('div', null, h('p', null, 'Storage used: ', h('strong', { 'data-testid': 'storage-models' }, formatBytes(modelBytes)), modelBytes > 0 ? ' by downloaded and imported models' : ' (no models stored yet)'), browserLine),
  );
}

function status(el: HTMLElement, text: string, kind: 'ok' | 'error' = 'ok'): void {
  el.textContent = text;
  el.dataset.kind = kind;
  window.clearTimeout(Number(el.dataset.timer ?? 0));
  if (kind === 'ok' && text) el.dataset.timer = String(window.setTimeout(() => (el.textContent = ''), 2500));
}

function setupDefaults(): void {
  const fill = (select: HTMLSelectElement, tasks: readonly string[], current: string) => {
    const entries = REGISTRY.filter((m) => tasks.includes(m.task));
    replaceChildren(
      select,
      entries.map((m) => h('option', { value: m.id, selected: m.id === current }, m.name)),
    );
    select.value = current;
  };
  const qa = byId<HTMLSelectElement>('qa-model');
  const cls = byId<HTMLSelectElement>('classify-model');
  fill(qa, ['qa'], settings.qaModelId);
  fill(cls, ['zero-shot', 'classify'], settings.classifyModelId);
  const precision = byId<HTMLSelectElement>('precision');
  precision.value = settings.precision;
  const out = byId('defaults-status');
  const save = async (patch: Partial<Settings>, saved: string) => {
    try {
      settings = await updateSettings(patch);
      markDefaults();
      status(out, saved);
    } catch (err) {
      status(out, errorText(err), 'error');
    }
  };
  const nextOpen = 'Saved. The popup uses it from the next time it opens.';
  qa.addEventListener('change', () => void save({ qaModelId: qa.value }, nextOpen));
  cls.addEventListener('change', () => void save({ classifyModelId: cls.value }, nextOpen));
  precision.addEventListener('change', () => {
    // the cards say which file each model runs: ask the background again
    void save({ precision: precision.value as Settings['precision'] }, 'Saved. The next question or classification runs with it.').then(() => store.refresh());
  });
}

function setupHub(): void {
  const form = byId<HTMLFormElement>('hub-form');
  const input = byId<HTMLInputElement>('hub-url');
  const error = byId('hub-error');
  const out = byId('hub-status');
  input.value = settings.hubBaseUrl;
  const setError = (message: string | undefined) => {
    error.hidden = message === undefined;
    error.textContent = message ?? '';
    input.setAttribute('aria-invalid', String(message !== undefined));
  };
  const save = async (raw: string) => {
    let url: string;
    try {
      url = checkHubUrl(raw);
    } catch (err) {
      setError(errorText(err));
      input.focus();
      return;
    }
    setError(undefined);
    try {
      settings = await updateSettings({ hubBaseUrl: url });
      input.value = settings.hubBaseUrl;
      status(out, `Saved. Models will be downloaded from ${settings.hubBaseUrl}.`);
      void store.refresh();
    } catch (err) {
      setError(errorText(err));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void save(input.value);
  });
  input.addEventListener('input', () => setError(undefined));
  byId('reset-hub').addEventListener('click', () => {
    input.value = DEFAULT_SETTINGS.hubBaseUrl;
    void save(DEFAULT_SETTINGS.hubBaseUrl);
  });
}

async function main(): Promise<void> {
  settings = await getSettings();
  store.subscribe(renderModels);
  store.listen();
  setupDefaults();
  setupHub();
  await store.refresh();
}

main().catch((err: unknown) => {
  replaceChildren(byId('models-error'), notice('error', { title: 'Settings could not load', body: errorText(err) }));
});
