// The options page: models (download, remove, import a folder), storage, the hub, default models, privacy.
import { sendToBackground } from '../shared/messaging.js';
import type { ModelTask } from '../shared/protocol.js';
import { REGISTRY, approxBytes } from '../shared/registry.js';
import { DEFAULT_SETTINGS, checkHubUrl, getSettings, updateSettings, type Settings } from '../shared/settings.js';
import { byId, h, replaceChildren } from '../ui/dom.js';
import { errorText, formatBytes } from '../ui/format.js';
import { icon } from '../ui/icons.js';
import { ModelsStore } from '../ui/models.js';
import { notice } from '../ui/notice.js';
import { modelSpeed, speedFactorText, speedText } from '../ui/speed.js';
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
    card.setDefaultFor(id === settings.qaModelId ? 'questions' : id === settings.sentimentModelId ? 'sentiment' : id === settings.zeroShotModelId ? 'zero-shot classification' : undefined);
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

/**
 * The QA model choice: one radio card per QA model with its download size and, where the registry has a
 * benchmark figure, its speed and how it compares with the model now chosen (re-rendered on every change).
 */
function renderQaChoices(onPick: (id: string) => void): void {
  const entries = REGISTRY.filter((m) => m.task === 'qa');
  const chosen = entries.find((m) => m.id === settings.qaModelId);
  const chosenSpeed = chosen ? modelSpeed(chosen) : undefined;
  const had = document.activeElement instanceof HTMLInputElement && document.activeElement.name === 'qa-model' ? document.activeElement.value : undefined;
  const choices = entries.map((m) => {
    const speed = modelSpeed(m);
    const factor = speed && chosenSpeed && chosen && chosen.id !== m.id ? speedFactorText(speed, chosenSpeed, chosen.name) : undefined;
    const input = h('input', { type: 'radio', name: 'qa-model', value: m.id, id: `qa-model-${m.id}`, checked: m.id === settings.qaModelId, 'aria-describedby': `qa-model-facts-${m.id}` });
    input.addEventListener('change', () => {
      if (input.checked) onPick(m.id);
    });
    return h(
      'label',
      { class: 'choice', 'data-model-id': m.id, 'data-testid': 'qa-choice', for: `qa-model-${m.id}` },
      input,
      h(
        'span',
        { class: 'choice-body' },
        h('span', { class: 'choice-name' }, m.name, m.id === DEFAULT_SETTINGS.qaModelId ? h('span', { class: 'badge' }, 'default') : null),
        h(
          'span',
          { class: 'choice-facts small muted', id: `qa-model-facts-${m.id}` },
          h('span', { 'data-testid': 'choice-size' }, `Download about ${formatBytes(approxBytes(m))}`),
          h('span', { 'data-testid': 'choice-speed' }, speed ? speedText(speed) : 'Speed not measured yet'),
          factor ? h('span', { class: 'choice-factor', 'data-testid': 'choice-factor' }, factor) : null,
        ),
      ),
    );
  });
  replaceChildren(byId('qa-models'), choices);
  if (had) document.querySelector<HTMLInputElement>(`input[name="qa-model"][value="${CSS.escape(had)}"]`)?.focus();
}

function setupDefaults(): void {
  const fill = (select: HTMLSelectElement, task: ModelTask, current: string) => {
    const entries = REGISTRY.filter((m) => m.task === task);
    replaceChildren(
      select,
      entries.map((m) => h('option', { value: m.id, selected: m.id === current }, m.name)),
    );
    select.value = current;
  };
  const sentiment = byId<HTMLSelectElement>('sentiment-model');
  const zeroShot = byId<HTMLSelectElement>('zero-shot-model');
  fill(sentiment, 'classify', settings.sentimentModelId);
  fill(zeroShot, 'zero-shot', settings.zeroShotModelId);
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
  const pickQa = (id: string) => void save({ qaModelId: id }, nextOpen).then(() => renderQaChoices(pickQa));
  renderQaChoices(pickQa);
  sentiment.addEventListener('change', () => void save({ sentimentModelId: sentiment.value }, nextOpen));
  zeroShot.addEventListener('change', () => void save({ zeroShotModelId: zeroShot.value }, nextOpen));
  const backend = byId<HTMLSelectElement>('backend');
  backend.value = settings.backend;
  backend.addEventListener('change', () => {
    void save({ backend: backend.value as Settings['backend'] }, 'Saved. The next question or classification runs with it.').then(renderBackend);
  });
  precision.addEventListener('change', () => {
    // the cards say which file each model runs: ask the background again
    void save({ precision: precision.value as Settings['precision'] }, 'Saved. The next question or classification runs with it.').then(() => store.refresh());
  });
}

let backendSeq = 0;
/** "Running on: WebGPU (adapter: …)" / "Running on: WebAssembly: no WebGPU adapter", as the background sees it. */
async function renderBackend(): Promise<void> {
  const seq = ++backendSeq;
  const out = byId('backend-status');
  let text: string;
  try {
    const { choice } = await sendToBackground({ type: 'backend/status' });
    text = `Running on: ${choice.text}`;
    out.dataset.backend = choice.backend;
  } catch (err) {
    text = `Running on: unknown (${errorText(err)})`;
    delete out.dataset.backend;
  }
  if (seq === backendSeq) out.textContent = text;
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
  void renderBackend();
  await store.refresh();
}

main().catch((err: unknown) => {
  replaceChildren(byId('models-error'), notice('error', { title: 'Settings could not load', body: errorText(err) }));
});
