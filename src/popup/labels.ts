// The candidate labels editor for zero-shot classification: chips with remove buttons and an input that
// adds a label on Enter or comma (pasting "a, b, c" adds three). Every valid change is reported so it can
// be saved; an invalid list (fewer than two labels, a label too long) shows why and is not saved.
import { checkLabels } from '../shared/checks.js';
import { h } from '../ui/dom.js';
import { errorText } from '../ui/format.js';
import { icon } from '../ui/icons.js';

export class LabelsEditor {
  private labels: string[];

  constructor(
    private readonly box: HTMLElement,
    private readonly input: HTMLInputElement,
    private readonly errorEl: HTMLElement,
    initial: readonly string[],
    private readonly onChange: (labels: string[]) => Promise<void>,
  ) {
    this.labels = [...initial];
    box.addEventListener('click', (e) => {
      if (e.target === box) input.focus();
    });
    input.addEventListener('keydown', (e) => this.key(e));
    input.addEventListener('input', () => this.splitTyped());
    input.addEventListener('blur', () => this.commitPending());
    this.render();
  }

  get value(): string[] {
    return [...this.labels];
  }

  /** Adds what is typed but not yet added; true when something was added. */
  commitPending(): boolean {
    const text = this.input.value.trim();
    if (!text) return false;
    const added = this.add([text]);
    if (added) this.input.value = '';
    return added;
  }

  /** The labels when they are valid; otherwise shows the problem and returns undefined. */
  validate(): string[] | undefined {
    try {
      const ok = checkLabels(this.labels);
      this.setError(undefined);
      return ok;
    } catch (err) {
      this.setError(errorText(err));
      this.input.focus();
      return undefined;
    }
  }

  private key(e: KeyboardEvent): void {
    if ((e.key === 'Enter' || e.key === ',') && this.input.value.trim()) {
      // Enter on an empty input falls through to the form: classify
      e.preventDefault();
      this.commitPending();
    } else if (e.key === ',') {
      e.preventDefault();
    } else if (e.key === 'Backspace' && this.input.value === '' && this.labels.length > 0) {
      e.preventDefault();
      this.remove(this.labels.length - 1, false);
    }
  }

  private splitTyped(): void {
    if (!this.input.value.includes(',')) return;
    const parts = this.input.value.split(',');
    const rest = parts.pop() ?? '';
    this.add(parts);
    this.input.value = rest.trimStart();
  }

  private add(raw: readonly string[]): boolean {
    const fresh: string[] = [];
    for (const r of raw) {
      const label = r.trim().replace(/\s+/g, ' ');
      if (!label) continue;
      if ([...this.labels, ...fresh].some((l) => l.toLowerCase() === label.toLowerCase())) {
        this.setError(`"${label}" is already a label.`);
        continue;
      }
      if (label.length > 100) {
        this.setError('A label may be at most 100 characters.');
        continue;
      }
      fresh.push(label);
    }
    if (fresh.length === 0) return false;
    this.labels = [...this.labels, ...fresh];
    this.changed();
    return true;
  }

  private remove(index: number, focusNext: boolean): void {
    this.labels = this.labels.filter((_, i) => i !== index);
    this.changed();
    if (focusNext) {
      const removes = this.box.querySelectorAll<HTMLButtonElement>('.chip-remove');
      (removes[Math.min(index, removes.length - 1)] ?? this.input).focus();
    } else {
      this.input.focus();
    }
  }

  private changed(): void {
    this.render();
    let valid: string[];
    try {
      valid = checkLabels(this.labels);
    } catch (err) {
      this.setError(errorText(err));
      return;
    }
    this.setError(undefined);
    this.onChange(valid).catch((err: unknown) => this.setError(`Could not save the labels: ${errorText(err)}`));
  }

  private setError(message: string | undefined): void {
    this.errorEl.hidden = message === undefined;
    this.errorEl.textContent = message ?? '';
    this.input.setAttribute('aria-invalid', String(message !== undefined));
  }

  private render(): void {
    for (const chip of this.box.querySelectorAll('.chip')) chip.remove();
    this.labels.forEach((label, i) => {
      const chip = h(
        'span',
        { class: 'chip', 'data-label': label, 'data-testid': 'label-chip' },
        h('span', { class: 'chip-text' }, label),
        h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove label ${label}`, title: 'Remove', onclick: () => this.remove(i, true) }, icon('x', 'icon icon-xs')),
      );
      this.box.insertBefore(chip, this.input);
    });
    this.input.placeholder = this.labels.length ? 'Add a label' : 'Add labels, e.g. positive, negative';
  }
}
