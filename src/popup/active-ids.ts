// Some parts exist in both panels (the model consent/download gate, the error box) but tests and labels
// address them by one id (#consent, #download, #error). Elements carry the id they want in data-aid, and
// only those in the visible panel get it, so an id always names exactly one element on screen.

function sync(root: HTMLElement): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-aid]')) {
    const panel = el.closest<HTMLElement>('[role="tabpanel"]');
    const want = !panel || !panel.hidden ? (el.dataset.aid ?? '') : '';
    if (el.id !== want) {
      if (want) el.id = want;
      else el.removeAttribute('id');
    }
  }
}

/** Keeps data-aid ids in sync under root from now on; returns a function that syncs at once. */
export function keepActiveIds(root: HTMLElement): () => void {
  const run = () => sync(root);
  new MutationObserver(run).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['hidden'] });
  run();
  return run;
}
