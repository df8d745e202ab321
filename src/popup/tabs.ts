// The Ask / Classify tab strip, following the WAI-ARIA tabs pattern: arrow keys, Home and End move between
// tabs and select them; only the selected tab is in the Tab order.

export type View = 'ask' | 'classify';

export class TabStrip {
  private readonly tabs: HTMLButtonElement[];

  constructor(
    list: HTMLElement,
    private readonly onChange: (view: View) => void,
  ) {
    this.tabs = [...list.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
    for (const tab of this.tabs) {
      tab.addEventListener('click', () => this.select(tab.dataset.view as View));
      tab.addEventListener('keydown', (e) => this.key(e, tab));
    }
  }

  get current(): View {
    return (this.tabs.find((t) => t.getAttribute('aria-selected') === 'true')?.dataset.view ?? 'ask') as View;
  }

  select(view: View, focus = false): void {
    for (const tab of this.tabs) {
      const on = tab.dataset.view === view;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(tab.getAttribute('aria-controls') ?? '');
      if (panel) panel.hidden = !on;
      if (on && focus) tab.focus();
    }
    this.onChange(view);
  }

  private key(e: KeyboardEvent, tab: HTMLButtonElement): void {
    const i = this.tabs.indexOf(tab);
    let next: number | undefined;
    if (e.key === 'ArrowRight') next = (i + 1) % this.tabs.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + this.tabs.length) % this.tabs.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.tabs.length - 1;
    if (next === undefined) return;
    e.preventDefault();
    this.select(this.tabs[next].dataset.view as View, true);
  }
}
