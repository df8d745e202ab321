// Readable text of the page (or of the selection) with an exact map back to the DOM's text nodes: the entry points
// the content script's message handler (index.ts) and the highlighter (highlight.ts) call. The work is split by job:
// - main-content.ts chooses the article's nodes (Readability); mainRoot below is the quick heuristic for pages too big for it;
// - walk.ts walks the composed tree (shadow roots, slots, same-origin frames) in document order;
// - visibility.ts says what is not read because a reader does not see it;
// - text-map.ts builds the text, its passages and the character-to-text-node map;
// - selection.ts reads the selection, anchors.ts keeps its boundaries across marking;
// - snapshot.ts holds a reading (Snapshot) and the part of it that goes to the background.
// This file chooses what to read of the page, falling back from the main article to the whole page.
import type { Reading } from '../shared/protocol.js';
import { readabilityMain } from './main-content.js';
import { articleNote, withRoles } from './roles.js';
import { extractSelectionAgain } from './selection.js';
import { newSnapshot, type Snapshot } from './snapshot.js';
import type { BuiltText } from './text-map.js';
import { isShown, pageHidden } from './visibility.js';
import { readTree } from './walk.js';


/** A page shorter than this inside its main element is read whole instead. */
export const MIN_MAIN_TEXT = 200;

/**
 * The page's main content by a quick heuristic, for pages too big for Readability (main-content.ts):
 * <main> / [role=main], else a lone <article>, else the element holding the most paragraph text (a paragraph
 * counts fully for its parent and half for its grandparent), else the body.
 */
export function mainRoot(doc: Document): Element {
  const body = doc.body ?? doc.documentElement;
  for (const el of doc.querySelectorAll('main, [role="main"]')) if (isShown(el)) return el;
  const articles = [...doc.querySelectorAll('article')].filter((a) => !a.parentElement?.closest('article') && isShown(a));
  if (articles.length === 1) return articles[0];
  const scores = new Map<Element, number>();
  for (const p of doc.querySelectorAll('p')) {
    const len = (p.textContent ?? '').trim().length;
    if (len < 20) continue;
    const parent = p.parentElement;
    if (!parent) continue;
    scores.set(parent, (scores.get(parent) ?? 0) + len);
    const grand = parent.parentElement;
    if (grand) scores.set(grand, (scores.get(grand) ?? 0) + len / 2);
  }
  let best: Element | undefined;
  let bestScore = MIN_MAIN_TEXT;
  for (const [el, score] of scores) {
    if (score > bestScore && el !== doc.documentElement && isShown(el)) {
      best = el;
      bestScore = score;
    }
  }
  return best ?? body;
}

/** What the popup says was read (after "Read: "); an article read with Readability says which parts it has. */
const READ_MAIN: Reading = { kind: 'main', note: 'the main article' };
const readArticle = (built: BuiltText): Reading => ({ kind: 'main', note: articleNote(built.passages) });
const readWhole = (why: string): Reading => ({ kind: 'page', note: `the whole page (${why})` });

/**
 * The readable text of the page: its main content as Readability finds it (main-content.ts), read by the
 * walker without page chrome; if that is too little to hold an answer, the whole body without page chrome; if
 * that is still very little, the whole body with only hidden text left out. Pages too big for Readability
 * use mainRoot's heuristic instead.
 */
export function extractPage(doc: Document): Snapshot {
  const body = doc.body ?? doc.documentElement;
  const allVisible = pageHidden(doc);
  let best: BuiltText | undefined;
  let reading: Reading = readWhole('no main article found');
  const main = readabilityMain(doc, MIN_MAIN_TEXT);
  if (main) {
    const r = withRoles(readTree(body, 'page', { main, allVisible }), main);
    if (r.text.length >= MIN_MAIN_TEXT) [best, reading] = [r, readArticle(r)];
    else reading = readWhole('the main article is too short to answer from');
  } else {
    const root = mainRoot(doc);
    if (root !== body) {
      const r = readTree(root, 'page', { allVisible });
      if (r.text.length >= MIN_MAIN_TEXT) [best, reading] = [r, READ_MAIN];
    }
  }
  if (!best) {
    best = readTree(body, 'page', { allVisible });
    if (best.text.length < MIN_MAIN_TEXT) {
      const lenient = readTree(body, 'lenient', { allVisible });
      if (lenient.text.length > best.text.length) best = lenient;
    }
  }
  return newSnapshot(doc, 'page', best, reading);
}

/** Reads the same scope again (the same selection, by its anchors); undefined when the selection is gone. */
export function extractAgain(previous: Snapshot): Snapshot | undefined {
  if (previous.scope === 'page') return extractPage(previous.doc);
  return extractSelectionAgain(previous);
}
