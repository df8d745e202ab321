// The generated page the extraction bench reads (extraction.ts): plain strings, no DOM or Node here.

export const EXTRACTION_ELEMENTS = 10_000;

const WORDS = 'harbour council engineers storm wall granite tide river bridge market station lantern keeper orchard festival railway quarry valley meadow ferry'.split(' ');

/** Deterministic filler prose: n words from a fixed list. */
function prose(seed: number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[(seed * 7 + i * 13 + ((i * i) % 5)) % WORDS.length]);
  return `${out.join(' ')}.`;
}

/**
 * Body HTML of a long news-like page with about `target` elements and about 25 characters of text per element
 * (typical of long real pages, where many elements are links, icons, figures and list items).
 */
export function generatedPage(target: number): string {
  const chrome =
    `<header><a href="/">Site</a><nav><ul>${Array.from({ length: 30 }, (_, i) => `<li><a href="/s${i}">Section ${i}</a></li>`).join('')}</ul></nav></header>` +
    `<aside class="sidebar"><ul>${Array.from({ length: 40 }, (_, i) => `<li><a href="/r${i}">${prose(i, 6)}</a></li>`).join('')}</ul></aside>`;
  const parts: string[] = [];
  // one section: section, h2, 3 x (p, a, em, span), figure, img, figcaption, div, 4 x a, ul, 3 x li = 26 elements
  const sections = Math.max(1, Math.floor((target * 0.85 - 200) / 26));
  for (let s = 0; s < sections; s++) {
    const ps = Array.from({ length: 3 }, (_, k) => `<p>${prose(s + k, 12)} <a href="/x${s}">${prose(k, 2)}</a> ${prose(s * k, 6)} <em>${prose(k + 1, 2)}</em> <span>${prose(s + 3, 3)}</span></p>`).join('');
    const share = `<div class="share">${['Facebook', 'X', 'Email', 'Print'].map((n) => `<a href="/share/${n}">${n}</a>`).join('')}</div>`;
    const figure = `<figure><img src="/i${s}.jpg" alt="${prose(s, 4)}"><figcaption>${prose(s + 5, 6)}</figcaption></figure>`;
    parts.push(`<section><h2>${prose(s, 5)}</h2>${ps}${figure}${share}<ul><li>${prose(s, 5)}</li><li>${prose(s + 1, 5)}</li><li>${prose(s + 2, 5)}</li></ul></section>`);
  }
  const comments = Math.max(1, Math.floor((target * 0.15) / 4));
  const thread = Array.from({ length: comments }, (_, i) => `<div class="comment"><span class="comment-author">reader${i}</span><div class="comment-body"><p>${prose(i, 10)}</p></div></div>`).join('');
  return `${chrome}<main><article><h1>Generated page</h1>${parts.join('')}</article><section id="comments" class="comments">${thread}</section></main><footer><p>${prose(1, 20)}</p></footer>`;
}
