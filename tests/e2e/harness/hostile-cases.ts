// Hostile-page cases for the content script, written once and run in Chromium (hostile.test.ts) and Firefox ESR
// (firefox-hostile.test.ts). A case drives a fixture page under tests/e2e/fixtures/hostile/ through a HostileTab:
// content requests go to the tab's top frame as the background sends them, and `evaluate` runs in the page's own
// (main) world, as the page's scripts do. Each case asserts what was read or marked, not only that nothing threw.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ContentReplies, ContentRequest, ExtractReply, Reply } from '../../../src/shared/protocol.js';

export const PAGE_CHANGED = 'the page has changed since the question was asked; ask again';

export interface HostileTab {
  /** a content request to the tab's top frame, from an extension page; the raw reply */
  send(msg: unknown): Promise<unknown>;
  /** an expression evaluated in the page's main world */
  evaluate<T>(expression: string): Promise<T>;
}

export interface HostileDriver {
  /** opens tests/e2e/fixtures/<name> (query string allowed) in a new tab, closed when the test ends; resolves after load */
  open(t: TestContext, name: string): Promise<HostileTab>;
}

export type HostileCase = (d: HostileDriver, t: TestContext) => Promise<void>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function value<R extends ContentRequest>(tab: HostileTab, req: R): Promise<ContentReplies[R['type']]> {
  const reply = (await tab.send(req)) as Reply<ContentReplies[R['type']]> | undefined;
  assert.ok(reply && typeof reply === 'object', `no reply to ${req.type}`);
  if (!reply.ok) assert.fail(`${req.type} failed: ${reply.error}`);
  return reply.value;
}

async function errorOf(tab: HostileTab, req: ContentRequest): Promise<string> {
  const reply = (await tab.send(req)) as Reply<unknown>;
  assert.equal(reply.ok, false, `${req.type} should fail`);
  return reply.ok ? '' : reply.error;
}

const extract = (tab: HostileTab, scope: 'page' | 'selection' = 'page') => value(tab, { type: 'content/extract', scope });

function rangeOf(snap: ExtractReply, phrase: string): { start: number; end: number } {
  const start = snap.text.indexOf(phrase);
  assert.ok(start >= 0, `"${phrase}" is not in the extracted text:\n${snap.text}`);
  assert.equal(snap.text.indexOf(phrase, start + 1), -1, `"${phrase}" is in the text more than once`);
  return { start, end: start + phrase.length };
}

async function highlight(tab: HostileTab, snap: ExtractReply, phrase: string): Promise<string> {
  return (await value(tab, { type: 'content/highlight', snapshotId: snap.snapshotId, ...rangeOf(snap, phrase), scroll: false })).text;
}

async function highlightError(tab: HostileTab, snap: ExtractReply, phrase: string): Promise<string> {
  return errorOf(tab, { type: 'content/highlight', snapshotId: snap.snapshotId, ...rangeOf(snap, phrase), scroll: false });
}

/** The texts of the answer marks in the document (or under the page-world expression `root`). */
const marks = (tab: HostileTab, root = 'document') =>
  tab.evaluate<string[]>(`[...(${root}).querySelectorAll('mark[data-lens-answer]')].map((m) => m.textContent)`);

async function until(tab: HostileTab, expression: string, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await tab.evaluate<boolean>(`!!(${expression})`))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function assertPassages(snap: ExtractReply): void {
  let previous = -1;
  for (const p of snap.passages) {
    assert.ok(p.start > previous && p.start < p.end && p.end <= snap.text.length, `bad passage ${p.start}..${p.end}`);
    previous = p.end;
  }
  assert.equal(snap.passages.map((p) => snap.text.slice(p.start, p.end)).join('\n'), snap.text);
}

const HIDDEN_KINDS = [
  'OUT-SCRIPT', 'OUT-STYLE', 'OUT-TEMPLATE', 'OUT-NOSCRIPT', 'OUT-ARIA', 'OUT-CLIP', 'OUT-CLIPPATH', 'OUT-LEFT', 'OUT-UP', 'OUT-RELATIVE',
  'OUT-TRANSFORM', 'OUT-MARGIN', 'OUT-INDENT', 'OUT-FIXED', 'OUT-HEIGHT0', 'OUT-WIDTH0', 'OUT-MAXHEIGHT', 'OUT-FONT0', 'OUT-SCALE0',
  'OUT-DISPLAY', 'OUT-HIDDENATTR', 'OUT-VISIBILITY', 'OUT-CONTENTVIS',
];
const SHOWN_KINDS = [
  'IN-OPACITY', 'IN-TRANSPARENT', 'IN-NUDGED', 'IN-CENTERED', 'IN-FONTRESET-A IN-FONTRESET-B', 'IN-ASPECT', 'IN-CLIPPEDBOX', 'IN-VISIBLECHILD',
  'IN-SUMMARY', 'IN-DETAILS', 'IN-BELOW',
];

export const hiddenText: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/hidden.html');
  const snap = await extract(tab);
  for (const out of HIDDEN_KINDS) assert.ok(!snap.text.includes(out), `${out} was read:\n${snap.text}`);
  for (const shown of SHOWN_KINDS) assert.ok(snap.text.includes(shown), `${shown} is missing:\n${snap.text}`);
  assert.match(snap.text, /^The Glassworks of Venn Harbour\nThe glassworks of Venn Harbour opened in 1821/);
  assertPassages(snap);
  assert.equal(await highlight(tab, snap, 'kept the ledgers'), 'kept the ledgers');

  // a selection is read with the same rules, except that visible aria-hidden text the user selected is read
  await tab.evaluate(`getSelection().selectAllChildren(document.querySelector('article'))`);
  const sel = await extract(tab, 'selection');
  for (const out of HIDDEN_KINDS.filter((k) => k !== 'OUT-ARIA')) assert.ok(!sel.text.includes(out), `${out} was read from the selection`);
  assert.ok(sel.text.includes('OUT-ARIA A decorative duplicate'), 'selected aria-hidden text is read');
  assert.ok(sel.text.includes('IN-OPACITY'));

  // with too little main text the whole page is read leniently (page chrome included): hidden text is still out
  await tab.evaluate(`(() => { getSelection().removeAllRanges(); for (const el of [...document.querySelectorAll('article > *')]) if (!/OUT-/.test(el.textContent)) el.remove(); })()`);
  const lenient = await extract(tab);
  for (const out of HIDDEN_KINDS) assert.ok(!lenient.text.includes(out), `${out} was read by the fallback:\n${lenient.text}`);
};

export const shadowRoots: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/shadow.html');
  const snap = await extract(tab);
  const order = ['OPEN-TEXT', 'SLOTTED-TEXT', 'CLOSED-TEXT', 'NESTED-TEXT'].map((k) => snap.text.indexOf(k));
  assert.ok(order.every((i) => i >= 0), `shadow text missing:\n${snap.text}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, 'composed-tree order');
  assert.ok(!snap.text.includes('OPEN-HIDDEN-TEXT'));
  const closedHtml = await tab.evaluate<string>(`window.__roots.closed.querySelector('p').innerHTML`);

  assert.equal(await highlight(tab, snap, 'sixty centimetres'), 'sixty centimetres');
  assert.deepEqual(await marks(tab, 'window.__roots.closed'), ['sixty centimetres'], 'marked inside the closed root');
  assert.equal(await highlight(tab, snap, 'twelve bronze wheels'), 'twelve bronze wheels');
  assert.deepEqual(await marks(tab, 'window.__roots.nested'), ['twelve bronze wheels'], 'marked inside a closed root nested in a closed root');
  assert.deepEqual(await marks(tab, 'window.__roots.closed'), []);
  assert.equal(await highlight(tab, snap, 'Ilse Brandt'), 'Ilse Brandt');
  assert.deepEqual(await marks(tab, 'window.__roots.open'), ['Ilse Brandt']);
  assert.deepEqual(await value(tab, { type: 'content/clear' }), { cleared: 1 });
  assert.equal(await tab.evaluate<string>(`window.__roots.closed.querySelector('p').innerHTML`), closedHtml);
};

export const crossOriginFrames: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/frames.html');
  await until(tab, `document.documentElement.dataset.crossReady === '1'`, 'the cross-origin frame');
  await until(tab, `document.getElementById('same').contentDocument?.querySelector('p')`, 'the same-origin frame');
  const isCross = await tab.evaluate<boolean>(`(() => { try { return document.getElementById('cross').contentDocument === null; } catch { return true; } })()`);
  assert.equal(isCross, true, 'the frame really is of another origin');
  const snap = await extract(tab);
  assert.ok(snap.text.includes('SAMEORIGIN-TEXT The oldest ferry'), `the same-origin frame is read:\n${snap.text}`);
  assert.ok(!snap.text.includes('CROSSORIGIN-TEXT'), 'the cross-origin frame is not read');
  assert.ok(!snap.text.includes('SANDBOXED-TEXT'), 'the sandboxed (opaque-origin) frame is not read');
  assert.match(snap.text, /^The Ferries of Lake Orm\nThree ferries cross/);
  assert.equal(await highlight(tab, snap, 'hauled onto the slipway'), 'hauled onto the slipway');
  assert.deepEqual(await marks(tab), ['hauled onto the slipway']);
};

const SCRIPT_PHRASES = [
  'الإسكندرية على ساحل البحر', // Arabic, across <b>
  'סולימאן המפואר', // Hebrew, across <i>
  'Codex Alexandrinus منذ', // left-to-right inside right-to-left
  '全长超过两万公里',
  '3776メートルです。\u3000山頂', // an ideographic space is kept
  '한글을 창제하였다',
  '👩‍👩‍👧‍👦 waved a 🇳🇴 flag, gave a 👍🏽 and a 1️⃣ rating',
  '🍰 (𝒳 marks',
  'Cafe\u0301 owners in Ha\u0300 No\u0323i',
];

export const scriptsAndEmoji: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/scripts.html');
  const snap = await extract(tab);
  assertPassages(snap);
  for (const phrase of SCRIPT_PHRASES) {
    assert.equal(await highlight(tab, snap, phrase), phrase);
    assert.equal((await marks(tab)).join(''), phrase, `the marks hold exactly "${phrase}"`);
  }
  // offsets that cut a grapheme cluster are widened to whole clusters, never split a surrogate pair
  const family = '👩‍👩‍👧‍👦';
  const at = snap.text.indexOf(family);
  const cases: Array<[number, number, string]> = [
    [at + 2, at + 5, family], // inside a ZWJ sequence
    [snap.text.indexOf('🇳🇴'), snap.text.indexOf('🇳🇴') + 2, '🇳🇴'], // half a flag
    [snap.text.indexOf('𝒳') + 1, snap.text.indexOf('𝒳') + 2, '𝒳'], // the low surrogate only
    [snap.text.indexOf('👍🏽'), snap.text.indexOf('👍🏽') + 2, '👍🏽'], // without its skin-tone modifier
  ];
  for (const [start, end, whole] of cases) {
    const reply = await value(tab, { type: 'content/highlight', snapshotId: snap.snapshotId, start, end, scroll: false });
    assert.equal(reply.text, whole);
    assert.deepEqual(await marks(tab), [whole]);
  }
};

export const invisibleCharacters: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/invisible.html');
  const shy = await tab.evaluate<string>(`document.getElementById('shy').innerHTML`);
  const split = await tab.evaluate<string>(`document.getElementById('split').innerHTML`);
  const snap = await extract(tab);
  assert.match(snap.text, /^The Exchange of Information\n/);
  for (const word of ['information about', 'database lists each network', 'cooperate on translations', 'Bookbinders and copyists', 'correspondence from']) {
    assert.ok(snap.text.includes(word), `"${word}" is read whole:\n${JSON.stringify(snap.text)}`);
  }
  assert.doesNotMatch(snap.text, /[\u00ad\u200b\u200c\u2060\ufeff]/, 'no invisible characters in the text');
  // a joiner inside an emoji sequence is part of the emoji
  assert.ok(snap.text.includes('👩\u200d💻') && snap.text.includes('🏳\ufe0f\u200d🌈'), 'emoji ZWJ sequences stay whole');
  assert.equal(snap.text.split('\u200d').length - 1, 2);
  assertPassages(snap);

  // a marked word covers the page's characters, invisible ones included
  assert.equal(await highlight(tab, snap, 'information'), 'information');
  assert.deepEqual(await marks(tab), ['infor\u00admation']);
  assert.equal(await highlight(tab, snap, 'database lists each network'), 'database lists each network');
  assert.deepEqual(await marks(tab), ['data\u200bbase lists each net\u2060work']);
  assert.equal(await highlight(tab, snap, 'copyists'), 'copyists');
  assert.deepEqual(await marks(tab), ['copy\ufeffists']);
  assert.equal(await highlight(tab, snap, 'cooperate on translations'), 'cooperate on translations');
  assert.deepEqual(await marks(tab), ['co\u200coperate on trans\u200dlations']);
  // the soft hyphen in an element of its own between the halves: both halves marked, the page text unchanged
  assert.equal(await highlight(tab, snap, 'correspondence'), 'correspondence');
  assert.deepEqual(await marks(tab), ['corre', 'spondence']);
  assert.equal(await tab.evaluate<string>(`document.getElementById('split').textContent`), 'The archive keeps corre\u00adspondence from four centuries in oak cabinets.');
  assert.equal(await highlight(tab, snap, '👩\u200d💻 works'), '👩\u200d💻 works');
  await value(tab, { type: 'content/clear' });
  assert.equal(await tab.evaluate<string>(`document.getElementById('shy').innerHTML`), shy);
  assert.equal(await tab.evaluate<string>(`document.getElementById('split').innerHTML`), split);
};

/** The page world's view of the CSS highlight that paints answers in editable regions. */
const painted = (tab: HostileTab) => tab.evaluate<string[]>(`[...(CSS.highlights.get('lens-answer') ?? [])].map((r) => r.toString())`);

export const contentEditable: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/editable.html');
  const editorHtml = await tab.evaluate<string>(`document.getElementById('editor').innerHTML`);
  const snap = await extract(tab);
  const phrase = 'slate roof and three chimneys';
  assert.ok(snap.text.includes(`The miller's house has a ${phrase} facing the millpond.`), 'editable text is read');

  // marked without touching the editor's DOM: a CSS highlight paints it
  assert.equal(await highlight(tab, snap, phrase), phrase);
  assert.equal(await tab.evaluate<string>(`document.getElementById('editor').innerHTML`), editorHtml, 'the editable DOM is unchanged');
  assert.deepEqual(await marks(tab), []);
  assert.equal((await painted(tab)).join(''), phrase);

  // the user edits elsewhere in the editor: editing works, the answer stays painted
  const typed = await tab.evaluate<boolean>(`(() => {
    const editor = document.getElementById('editor');
    editor.focus();
    const t = editor.querySelectorAll('p')[1].firstChild;
    getSelection().setBaseAndExtent(t, t.data.indexOf('metres'), t, t.data.indexOf('metres'));
    return document.execCommand('insertText', false, 'and a half ');
  })()`);
  assert.equal(typed, true);
  assert.equal(await tab.evaluate<string>(`document.getElementById('editor').querySelectorAll('p')[1].textContent`), 'Draft: the wheel is eleven and a half metres across and turns twice a minute.');
  assert.equal(await tab.evaluate<number>('window.__inputs'), 1);
  assert.equal((await painted(tab)).join(''), phrase);

  // an edit inside the answer's paragraph: the answer no longer stands there as it was read, the paint goes
  await tab.evaluate(`(() => {
    const t = document.getElementById('editor').querySelector('p b').firstChild;
    getSelection().setBaseAndExtent(t, 0, t, 5);
    return document.execCommand('insertText', false, 'thatch');
  })()`);
  await until(tab, `!CSS.highlights.has('lens-answer')`, 'the paint to go after the answer was edited');
  assert.equal(await tab.evaluate<string>(`document.getElementById('editor').querySelector('b').textContent`), 'thatch roof');
  // undo still works: the editor's history holds only the user's edits
  await tab.evaluate(`document.execCommand('undo')`);
  assert.equal(await tab.evaluate<string>(`document.getElementById('editor').querySelector('b').textContent`), 'slate roof');

  // outside the editor answers are marked as usual
  const fresh = await extract(tab);
  assert.equal(await highlight(tab, fresh, 'ground flour for the valley'), 'ground flour for the valley');
  assert.deepEqual(await marks(tab), ['ground flour for the valley']);
};

export const mutations: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/mutating.html');
  const clock = () => tab.evaluate<string>(`document.getElementById('clock').textContent`);
  await until(tab, `document.getElementById('clock').textContent !== '0'`, 'the clock to tick');

  // while the model "runs", the clock ticks: the text changed, away from the answer; it is re-anchored
  let snap = await extract(tab);
  const tick = await clock();
  await until(tab, `document.getElementById('clock').textContent !== ${JSON.stringify(tick)}`, 'another tick');
  assert.equal(await highlight(tab, snap, 'installed by the harbour board'), 'installed by the harbour board');
  const next = await clock();
  await until(tab, `document.getElementById('clock').textContent !== ${JSON.stringify(next)}`, 'another tick');
  assert.equal(await highlight(tab, snap, 'wound every Sunday'), 'wound every Sunday', 'a second answer, after marking and more ticks');
  const ticked = await clock();
  await until(tab, `document.getElementById('clock').textContent !== ${JSON.stringify(ticked)}`, 'another tick');
  assert.deepEqual(await marks(tab), ['wound every Sunday'], 'the clock ticking elsewhere leaves the marks alone');

  // the page reorders the list: the answer's passage is intact, only moved
  snap = await extract(tab);
  await tab.evaluate(`document.getElementById('keepers').prepend(document.getElementById('k2'))`);
  assert.equal(await highlight(tab, snap, 'Ansel Hark'), 'Ansel Hark');
  assert.deepEqual(await marks(tab, `document.getElementById('k1')`), ['Ansel Hark']);

  // the page changes the answer's passage after it was read (without touching the answer's own text node)
  snap = await extract(tab);
  await tab.evaluate(`document.getElementById('k1').append(' (disputed: the records name Tom Brise)')`);
  assert.equal(await highlightError(tab, snap, 'Ansel Hark'), PAGE_CHANGED);
  assert.deepEqual(await marks(tab), []);

  // after the answer is marked the page writes new text into the node it rendered (as frameworks do): the
  // marks go, and the page shows exactly its new text (no stale pieces left by the marking)
  await tab.evaluate(`document.getElementById('k1').lastChild.remove()`);
  snap = await extract(tab);
  assert.equal(await highlight(tab, snap, 'Ansel Hark'), 'Ansel Hark');
  await tab.evaluate(`window.__k1Text.data = 'The first keeper was Tom Brise.'`);
  await until(tab, `document.querySelectorAll('mark[data-lens-answer]').length === 0`, 'the marks on changed text to go');
  assert.equal(await tab.evaluate<string>(`document.getElementById('k1').textContent`), 'The first keeper was Tom Brise.');
  assert.equal(await tab.evaluate<number>(`document.getElementById('k1').childNodes.length`), 1);
  assert.equal(await highlightError(tab, snap, 'Ansel Hark'), PAGE_CHANGED, 'the stale answer says so');

  // the page adds text next to a shown answer in its block: the marks go, the page's text is whole
  snap = await extract(tab);
  assert.equal(await highlight(tab, snap, 'Ruth Wen'), 'Ruth Wen');
  await tab.evaluate(`document.getElementById('k2').prepend('Not so: ')`);
  await until(tab, `document.querySelectorAll('mark[data-lens-answer]').length === 0`, 'the marks to go');
  assert.equal(await tab.evaluate<string>(`document.getElementById('k2').textContent`), 'Not so: The second keeper was Ruth Wen.');

  // the page removes the block holding the answer: nothing is left marked, in or out of the page
  snap = await extract(tab);
  assert.equal(await highlight(tab, snap, 'wound every Sunday'), 'wound every Sunday');
  await tab.evaluate(`(() => { window.__p2 = document.getElementById('p2'); window.__p2.remove(); })()`);
  await until(tab, `window.__p2.querySelectorAll('mark').length === 0`, 'the detached marks to go');
  assert.equal(await tab.evaluate<string>(`window.__p2.innerHTML`), 'Its dial shows the height of the water rather than the hour, and it is wound every Sunday.');
  assert.deepEqual(await value(tab, { type: 'content/clear' }), { cleared: 0 });
};

export const forgedMessages: HostileCase = async (d, t) => {
  const tab = await d.open(t, 'hostile/hidden.html');
  await tab.evaluate(`(() => { window.__seen = []; addEventListener('message', (e) => { if (e.isTrusted) window.__seen.push(e.data); }); })()`);
  const snap = await extract(tab);
  const { start, end } = rangeOf(snap, 'kept the ledgers');
  // the page knows everything, even the real snapshot id, and sends the extension's messages every way it can
  const forge = async (msg: object) =>
    tab.evaluate<number>(`(() => {
      const m = ${JSON.stringify(msg)};
      let sent = 0;
      for (const data of [m, JSON.stringify(m), { ...m, sender: { id: 'lens' } }]) { window.postMessage(data, '*'); sent++; }
      for (const target of [window, document, document.documentElement, document.body]) {
        for (const name of [m.type, 'message', 'lens', 'mobilebert-lens']) target.dispatchEvent(new CustomEvent(name, { detail: m, bubbles: true }));
        target.dispatchEvent(new MessageEvent('message', { data: m }));
      }
      try { chrome.runtime.sendMessage(m); } catch {}
      try { browser.runtime.sendMessage(m); } catch {}
      return sent;
    })()`);
  let posted = 0;
  posted += await forge({ type: 'content/highlight', snapshotId: snap.snapshotId, start, end, scroll: true });
  posted += await forge({ type: 'content/show-card', title: 'FORGED', text: 'FORGED', result: { pending: true } });
  posted += await forge({ type: 'content/extract', scope: 'page' });
  await sleep(500);
  assert.deepEqual(await marks(tab), [], 'no forged highlight');
  assert.equal(await tab.evaluate<number>(`document.querySelectorAll('#lens-card-host').length`), 0, 'no forged card');
  // every real (trusted) message the page received is one it posted itself: nothing answered
  const seen = await tab.evaluate<unknown[]>('window.__seen');
  assert.equal(seen.length, posted, `the page received only its own messages: ${JSON.stringify(seen)}`);

  // the real channel still works, and a forged clear does not take the marks away
  assert.equal(await highlight(tab, snap, 'kept the ledgers'), 'kept the ledgers');
  await forge({ type: 'content/clear' });
  await sleep(300);
  assert.deepEqual(await marks(tab), ['kept the ledgers']);
};

export const prototypeOverrides: HostileCase = async (d, t) => {
  // no page-world evaluation here: the overrides would break the test driver's own scripts, not the extension's
  const plainTab = await d.open(t, 'hostile/prototypes.html?plain');
  const plain = await extract(plainTab);
  const tab = await d.open(t, 'hostile/prototypes.html');
  const hostile = await extract(tab); // answered: the page's forged "already loaded" flag did not stop the script
  // the overrides are live for the page's own scripts (it wrote what it saw into its title)
  assert.match(hostile.title, /^overrides live: /);
  for (const seen of ['"text":"PWNED"', '"slice":"PWNED"', '"code":32', '"style":"none"', '"body":"null"']) assert.ok(hostile.title.includes(seen), `${seen} in ${hostile.title}`);
  assert.doesNotMatch(plain.title, /overrides/);
  // and the extension reads exactly what it reads without them
  assert.equal(hostile.text, plain.text);
  assert.deepEqual(hostile.passages, plain.passages);
  assert.match(hostile.text, /^The Salt Marsh of Wendle\n/);
  for (const out of ['HIDDEN-TEXT', 'OFFSCREEN-TEXT', 'ARIA-TEXT', 'PWNED']) assert.ok(!hostile.text.includes(out), `${out} was read`);
  // marking splits text nodes and inserts elements: unaffected too
  const phrase = 'curlews, redshanks and oystercatchers';
  assert.equal(await highlight(tab, hostile, phrase), phrase);
  assert.equal(await highlight(tab, hostile, 'The sea wall was raised'), 'The sea wall was raised');
  assert.deepEqual(await value(tab, { type: 'content/clear' }), { cleared: 1 });
  assert.equal(await highlight(tab, hostile, phrase), phrase);
  assert.deepEqual(await value(tab, { type: 'content/clear' }), { cleared: 3 });
};

/** Every case, by test name; `core` ones run in Firefox ESR too. */
export const HOSTILE_CASES: Array<{ name: string; run: HostileCase; core: boolean }> = [
  { name: 'script, style, template, noscript, aria-hidden, off-screen and zero-size text is not read; opacity 0 is', run: hiddenText, core: true },
  { name: 'open and closed (and nested closed) shadow roots are read and marked', run: shadowRoots, core: true },
  { name: 'cross-origin and sandboxed frames are not read, without error; same-origin frames are', run: crossOriginFrames, core: true },
  { name: 'RTL, CJK and emoji text: offsets exact, marks hold exactly the answer, clusters never cut', run: scriptsAndEmoji, core: true },
  { name: 'zero-width characters and soft hyphens: words read whole, marks cover the invisible characters', run: invisibleCharacters, core: true },
  { name: 'contenteditable: read, painted without changing the editor, editing and undo keep working', run: contentEditable, core: true },
  { name: 'a page that changes while read and after the answer: re-anchored or refused, marks dropped, never on wrong text', run: mutations, core: true },
  { name: 'page-forged postMessage and CustomEvents shaped like extension messages are ignored', run: forgedMessages, core: true },
  { name: 'overridden DOM and String/Array prototypes do not change extraction or marking (isolated world)', run: prototypeOverrides, core: true },
];
