// The content script in a real Chromium with the built extension: what it reads from a page (main content
// only, through shadow roots and same-origin frames), how it marks answers and puts the page back, what it
// reads from a selection, and the classification card. Messages are sent to the tab from an extension page,
// as the background does. Needs `npm run build` (dist/chrome) and /usr/bin/chromium.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import type { ContentReplies, ContentRequest, ExtractReply, Reply } from '../../src/shared/protocol.js';
import { chromiumUnavailable, launchChromium } from './harness/chromium.js';
import { sendToContent } from './harness/content-request.js';
import { contentSession } from './harness/session.js';

const NOTHING_SELECTED = 'nothing is selected on this page';
const UNKNOWN_SNAPSHOT = 'this answer belongs to an earlier reading of the page; ask again';
const PAGE_CHANGED = 'the page has changed since the question was asked; ask again';

const skip = chromiumUnavailable();

const session = contentSession(launchChromium, skip);

/** Sends a content request to the tab's top frame from an extension page; retries while the script is loading. */
function sendRaw(page: Page, msg: unknown): Promise<unknown> {
  return sendToContent(session, page, msg);
}

async function ask<R extends ContentRequest>(page: Page, req: R): Promise<Reply<ContentReplies[R['type']]>> {
  return (await sendRaw(page, req)) as Reply<ContentReplies[R['type']]>;
}

async function value<R extends ContentRequest>(page: Page, req: R): Promise<ContentReplies[R['type']]> {
  const reply = await ask(page, req);
  assert.ok(reply && typeof reply === 'object', `no reply to ${req.type}`);
  if (!reply.ok) assert.fail(`${req.type} failed: ${reply.error}`);
  return reply.value;
}

async function errorOf(page: Page, req: ContentRequest): Promise<string> {
  const reply = await ask(page, req);
  assert.equal(reply.ok, false, `${req.type} should fail`);
  return reply.ok ? '' : reply.error;
}

/** A fixture page in a new tab, closed when the test ends. */
async function open(t: TestContext, name: string): Promise<Page> {
  const page = await session.browser.openPage(session.server.fixtureUrl(name));
  t.after(() => page.close());
  await page.waitForLoadState('load');
  return page;
}

/** Text nodes under <body>, composed tree not included: marking and clearing must give the same count back. */
const textNodeCount = (page: Page) =>
  page.evaluate(`(() => { let n = 0; const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); while (w.nextNode()) n++; return n; })()`);

const extract = (page: Page, scope: 'page' | 'selection' = 'page') => value(page, { type: 'content/extract', scope });

function rangeOf(page: ExtractReply, phrase: string): { start: number; end: number } {
  const start = page.text.indexOf(phrase);
  assert.ok(start >= 0, `"${phrase}" is not in the extracted text:\n${page.text}`);
  return { start, end: start + phrase.length };
}

async function highlight(page: Page, snap: ExtractReply, phrase: string, scroll = false): Promise<string> {
  const { start, end } = rangeOf(snap, phrase);
  return (await value(page, { type: 'content/highlight', snapshotId: snap.snapshotId, start, end, scroll })).text;
}

const marks = (page: Page) => page.locator('mark[data-lens-answer]').allTextContents();
const noSpace = (s: string) => s.replace(/\s+/g, '');

function assertPassages(page: ExtractReply): void {
  assert.ok(page.passages.length > 0, 'no passages');
  let previous = -1;
  for (const p of page.passages) {
    assert.ok(Number.isInteger(p.start) && Number.isInteger(p.end) && p.start < p.end && p.end <= page.text.length, `bad passage ${p.start}..${p.end}`);
    assert.ok(p.start > previous, 'passages overlap or are out of order');
    previous = p.end;
    const slice = page.text.slice(p.start, p.end);
    assert.equal(slice, slice.trim(), `passage not trimmed: ${JSON.stringify(slice)}`);
    assert.ok(!slice.includes('\n'), `passage spans a line break: ${JSON.stringify(slice)}`);
  }
  // the text is exactly its passages joined with newlines
  assert.equal(page.passages.map((p) => page.text.slice(p.start, p.end)).join('\n'), page.text);
}

describe('content script', { skip }, () => {
  test('reads the main content and leaves page chrome, hidden text and scripts out', async (t) => {
    const page = await open(t, 'layout.html');
    const snap = await extract(page);
    assert.equal(snap.scope, 'page');
    assert.match(snap.title, /Lighthouse Keepers of Orrin Point/);
    assert.equal(snap.url, page.url());
    for (const out of ['BANNER-TEXT', 'NAV-TEXT', 'SRONLY-TEXT', 'HIDDEN-TEXT', 'GHOST-TEXT', 'SCRIPT-TEXT', 'ASIDE-TEXT', 'FORM-TEXT', 'BUTTON-TEXT', 'SIDEBAR-TEXT', 'FOOTER-TEXT']) {
      assert.ok(!snap.text.includes(out), `${out} was read:\n${snap.text}`);
    }
    const lines = snap.text.split('\n');
    assert.equal(lines[0], 'The Lighthouse Keepers of Orrin Point'); // the article's own header is content
    assert.ok(lines.includes('By Mara Eldt'));
    // inline formatting joins, whitespace runs collapse
    assert.ok(lines.includes('The lighthouse at Orrin Point was built in 1874 by the engineer Tobias Wren, who designed its spiral stair of cast iron.'));
    // inline-block neighbours do not run together
    assert.match(snap.text, /seen from New Far thirty-one/);
    assert.ok(lines.includes('The first keeper was Ansel Hark.') && lines.includes('The last keeper left in 1968.'));
    // preformatted text keeps its spaces, one passage per line, blank lines dropped
    assert.ok(snap.text.includes('\n1874  first light\n1902  kerosene lamp\n1968  automated\n'));
    assert.ok(snap.text.includes('museum\u00a0run by volunteers'));
    // a closed <details> is content the reader can open (FAQ answers): read, and opened when an answer is in it
    assert.ok(lines.includes('When is the museum closed?') && lines.includes('The museum is closed from October to April for repairs.'));
    assertPassages(snap);
    assert.equal(await page.locator('#faq').getAttribute('open'), null);
    assert.equal(await highlight(page, snap, 'October to April'), 'October to April');
    assert.equal(await page.locator('#faq').getAttribute('open'), '');
  });

  test('finds the content without <main>, and reads the whole page when <main> holds too little', async (t) => {
    const nomain = await extract(await open(t, 'nomain.html'));
    assert.match(nomain.text, /^The Salt Roads of Kestrel Bay\nSalt from the pans/);
    assert.match(nomain.text, /last salt pan closed in 1903\.$/);
    for (const out of ['MENU-TEXT', 'PROMO-TEXT']) assert.ok(!nomain.text.includes(out), `${out} was read`);
    assertPassages(nomain);

    const sparse = await extract(await open(t, 'sparse.html'));
    assert.ok(sparse.text.startsWith('The Bell Foundry of Morrow\nThe bell foundry of Morrow cast its first bell'), sparse.text);
    assert.ok(sparse.text.includes('the Calloways, until 1987.'));
    for (const out of ['NAV-TEXT', 'FOOTER-TEXT']) assert.ok(!sparse.text.includes(out), `${out} was read`);
  });

  test('reads open and closed shadow roots, slotted content and same-origin frames', async (t) => {
    const page = await open(t, 'shadow.html');
    await page.frameLocator('#frame').locator('#frame-p').waitFor();
    const snap = await extract(page);
    for (const inside of ['SHADOW-TEXT', 'SLOTTED-TEXT', 'LIGHT-TEXT', 'CLOSED-TEXT', 'FRAME-TEXT', 'seven copper bridges', 'festival on the bridges']) {
      assert.ok(snap.text.includes(inside), `${inside} is missing:\n${snap.text}`);
    }
    for (const out of ['SHADOW-HIDDEN-TEXT', 'UNSLOTTED-TEXT', 'SLOT-FALLBACK-TEXT', 'FRAME-HIDDEN-TEXT', 'NAV-TEXT']) {
      assert.ok(!snap.text.includes(out), `${out} was read:\n${snap.text}`);
    }
    // composed-tree order: the shadow tree's paragraph, then the slots as the shadow tree places them
    assert.ok(snap.text.indexOf('SHADOW-TEXT') < snap.text.indexOf('SLOTTED-TEXT'));
    assert.ok(snap.text.indexOf('SLOTTED-TEXT') < snap.text.indexOf('LIGHT-TEXT'));
    assertPassages(snap);

    // marks inside a shadow root and inside the frame
    assert.equal(await highlight(page, snap, 'riveted by hand'), 'riveted by hand');
    assert.deepEqual(await page.locator('lens-story mark[data-lens-answer]').allTextContents(), ['riveted by hand']);
    assert.equal(await page.locator('lens-story style[data-lens]').count(), 1, 'the mark style is injected into the shadow root');
    assert.equal(await highlight(page, snap, 'tolls were abolished'), 'tolls were abolished');
    assert.deepEqual(await page.frameLocator('#frame').locator('mark[data-lens-answer]').allTextContents(), ['tolls were abolished']);
    assert.equal(await page.locator('lens-story mark[data-lens-answer]').count(), 0, 'the earlier mark is gone');
    assert.deepEqual(await value(page, { type: 'content/clear' }), { cleared: 1 });
  });

  test('marks an answer across inline elements and whitespace runs; clearing restores the page', async (t) => {
    const page = await open(t, 'layout.html');
    const bodyHtml = await page.evaluate('document.body.innerHTML');
    const innerText = await page.innerText('body');
    const textNodes = await textNodeCount(page);
    const snap = await extract(page);

    const phrase = 'Orrin Point was built in 1874 by the engineer Tobias Wren, who';
    assert.equal(await highlight(page, snap, phrase), phrase);
    const marked = await marks(page);
    assert.ok(marked.length >= 3, `one mark per text-node piece, got ${JSON.stringify(marked)}`);
    assert.equal(noSpace(marked.join('')), noSpace(phrase));
    assert.equal(await page.locator('mark[data-lens-first]').count(), 1);
    assert.equal(await page.locator('head style[data-lens]').count(), 1);
    assert.equal(await page.innerText('body'), innerText, 'marking does not change the text');

    // a second answer replaces the first (the page is re-read: marking split its text nodes)
    const second = 'kerosene; the light could be seen';
    assert.equal(await highlight(page, snap, second), second);
    assert.equal(noSpace((await marks(page)).join('')), noSpace(second));

    // the first answer again, from the same snapshot
    assert.equal(await highlight(page, snap, phrase), phrase);

    assert.equal((await value(page, { type: 'content/clear' })).cleared, marked.length);
    assert.deepEqual(await marks(page), []);
    assert.equal(await page.innerText('body'), innerText);
    assert.equal(await page.evaluate('document.body.innerHTML'), bodyHtml);
    assert.equal(await textNodeCount(page), textNodes, 'the split text nodes are merged back');
    assert.deepEqual(await value(page, { type: 'content/clear' }), { cleared: 0 });

    // a new reading (a new question) takes the last answer's marks away
    await highlight(page, snap, phrase);
    const again = await extract(page);
    assert.deepEqual(await marks(page), []);
    assert.equal(again.text, snap.text);
    assert.equal(await highlight(page, again, second), second);
  });

  test('marks answers that span passages and lines of preformatted text', async (t) => {
    const page = await open(t, 'layout.html');
    const bodyHtml = await page.evaluate('document.body.innerHTML');
    const snap = await extract(page);
    const across = 'Ansel Hark.\nThe last keeper';
    assert.equal(await highlight(page, snap, across), across);
    assert.deepEqual(await marks(page), ['Ansel Hark.', 'The last keeper']);
    const pre = 'first light\n1902  kerosene';
    assert.equal(await highlight(page, snap, pre), pre);
    assert.deepEqual(await marks(page), ['first light', '1902  kerosene'], 'two marks in one text node');
    await value(page, { type: 'content/clear' });
    assert.equal(await page.evaluate('document.body.innerHTML'), bodyHtml);
  });

  test('keeps the page\'s own text nodes: adjacent nodes are not merged, the same node objects remain', async (t) => {
    const page = await open(t, 'layout.html');
    // two adjacent text nodes, as frameworks render "Hello {name}"
    await page.evaluate(`(() => {
      const p = document.getElementById('p3');
      const a = document.createTextNode('Volunteers guide tours ');
      const b = document.createTextNode('on weekends only.');
      p.after(Object.assign(document.createElement('p'), { id: 'split' }));
      document.getElementById('split').append(a, b);
      window.__nodes = [a, b];
    })()`);
    const snap = await extract(page);
    assert.equal(await highlight(page, snap, 'guide tours on weekends'), 'guide tours on weekends');
    assert.deepEqual(await marks(page), ['guide tours ', 'on weekends']);
    await value(page, { type: 'content/clear' });
    const same = await page.evaluate(`(() => {
      const p = document.getElementById('split');
      return p.childNodes.length === 2 && p.childNodes[0] === window.__nodes[0] && p.childNodes[1] === window.__nodes[1]
        && window.__nodes[0].data === 'Volunteers guide tours ' && window.__nodes[1].data === 'on weekends only.';
    })()`);
    assert.equal(same, true);
  });

  test('scrolls the answer into view when asked', async (t) => {
    const page = await open(t, 'layout.html');
    await page.setViewportSize({ width: 800, height: 600 });
    await page.evaluate(`document.getElementById('p3').style.marginTop = '4000px'`);
    const snap = await extract(page);
    await highlight(page, snap, 'open every day', true);
    const top = (await page.locator('mark[data-lens-first]').boundingBox())?.y ?? -1;
    assert.ok(top > 100 && top < 500, `the answer is centred in the view (y = ${top})`);
  });

  test('refuses unknown snapshots and pages whose text changed', async (t) => {
    const page = await open(t, 'layout.html');
    const snap = await extract(page);
    assert.equal(await errorOf(page, { type: 'content/highlight', snapshotId: 'nope', start: 0, end: 3, scroll: false }), UNKNOWN_SNAPSHOT);
    assert.match(await errorOf(page, { type: 'content/highlight', snapshotId: snap.snapshotId, start: 5, end: 5, scroll: false }), /not a text range/);
    assert.match(await errorOf(page, { type: 'content/highlight', snapshotId: snap.snapshotId, start: 0, end: snap.text.length + 1, scroll: false }), /not a text range/);
    await page.evaluate(`document.getElementById('li1').textContent = 'The first keeper was somebody else.'`);
    const { start, end } = rangeOf(snap, 'Ansel Hark');
    assert.equal(await errorOf(page, { type: 'content/highlight', snapshotId: snap.snapshotId, start, end, scroll: false }), PAGE_CHANGED);
    assert.deepEqual(await marks(page), []);
    // a newer reading replaces the older one of the same scope
    const fresh = await extract(page);
    assert.equal(await errorOf(page, { type: 'content/highlight', snapshotId: snap.snapshotId, start, end, scroll: false }), UNKNOWN_SNAPSHOT);
    assert.equal(await highlight(page, fresh, 'somebody else'), 'somebody else');
  });

  test('reads only the selection, and marks answers inside it without losing it', async (t) => {
    const page = await open(t, 'layout.html');
    assert.equal(await errorOf(page, { type: 'content/extract', scope: 'selection' }), NOTHING_SELECTED);
    assert.equal((await value(page, { type: 'content/selection-info' })).selectionLength, 0);

    await page.locator('#li1').selectText();
    const li = await extract(page, 'selection');
    assert.equal(li.scope, 'selection');
    assert.equal(li.text, 'The first keeper was Ansel Hark.');

    // part of a paragraph, from inside one text node to inside another, across <b> and a whitespace run
    await page.evaluate(`(() => {
      const p = document.getElementById('p1');
      const first = p.firstChild;                 // "The lighthouse at "
      const last = p.querySelector('a').nextSibling; // " by the engineer\\n  Tobias    Wren, ..."
      getSelection().setBaseAndExtent(first, 4, last, last.data.indexOf('Wren') + 4);
    })()`);
    const selected = await page.evaluate('getSelection().toString()');
    const sel = await extract(page, 'selection');
    assert.equal(sel.text, 'lighthouse at Orrin Point was built in 1874 by the engineer Tobias Wren');
    assertPassages(sel);
    assert.equal((await value(page, { type: 'content/selection-info' })).selectionLength, sel.text.length);

    assert.equal(await highlight(page, sel, 'Orrin Point'), 'Orrin Point');
    assert.equal(await page.evaluate('getSelection().toString()'), selected, 'the selection survives marking');
    // again from the same selection snapshot, after marking split the selection's text nodes
    assert.equal(await highlight(page, sel, 'engineer Tobias'), 'engineer Tobias');
    assert.equal(noSpace((await marks(page)).join('')), 'engineerTobias');
    assert.equal(await page.evaluate('getSelection().toString()'), selected);
    await value(page, { type: 'content/clear' });
    assert.equal(await page.evaluate('getSelection().toString()'), selected, 'the selection survives clearing');

    // hidden and script text inside a selection are still left out
    await page.locator('article').selectText();
    const all = await extract(page, 'selection');
    for (const out of ['HIDDEN-TEXT', 'SCRIPT-TEXT', 'GHOST-TEXT']) assert.ok(!all.text.includes(out), `${out} was read`);
    assert.ok(all.text.includes('ASIDE-TEXT'), 'a selection is read as selected, page chrome included');
  });

  test('shows the classification card: pending, scores best first, errors; escapes page text; closes', async (t) => {
    const page = await open(t, 'layout.html');
    const evil = '<img src=x onerror="window.__pwned = 1">';
    const text = `${evil} ${'a long selection '.repeat(20)}`;
    assert.deepEqual(await value(page, { type: 'content/show-card', title: 'Lens · Classification', text, result: { pending: true } }), { shown: true });
    const host = page.locator('#lens-card-host');
    assert.equal(await host.getAttribute('data-state'), 'pending');
    assert.equal(await host.locator('.spinner').count(), 1);

    await value(page, {
      type: 'content/show-card',
      title: `Lens ${evil}`,
      text,
      result: { scores: [{ label: 'negative', score: 0.25 }, { label: `positive ${evil}`, score: 0.75 }] },
    });
    assert.equal(await page.locator('#lens-card-host').count(), 1, 'the card is updated in place');
    assert.equal(await host.getAttribute('data-state'), 'result');
    assert.deepEqual(await host.locator('.row .label').allTextContents(), [`positive ${evil}`, 'negative']);
    assert.deepEqual(await host.locator('.row .pct').allTextContents(), ['75.0%', '25.0%']);
    const quote = await host.locator('.quote').textContent();
    assert.ok(quote?.startsWith(evil) && quote.endsWith('…') && quote.length <= 121, `shortened quote: ${quote}`);
    assert.equal(await host.locator('.title').textContent(), `Lens ${evil}`);
    assert.equal(await page.locator('img').count(), 0, 'no element was made from the text');
    assert.equal(await page.evaluate('window.__pwned'), undefined);

    await value(page, { type: 'content/show-card', title: 'Lens', text: 'x', result: { error: 'model missing <b>!</b>' } });
    assert.equal(await host.getAttribute('data-state'), 'error');
    assert.equal(await host.locator('.error').textContent(), 'model missing <b>!</b>');

    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#lens-card-host').count(), 0, 'Escape closes the card');

    await value(page, { type: 'content/show-card', title: 'Lens', text: 'x', result: { pending: true } });
    await page.locator('#lens-card-host .close').click();
    assert.equal(await page.locator('#lens-card-host').count(), 0, 'the close button closes the card');

    // the card is never page text
    await value(page, { type: 'content/show-card', title: 'CARD-TITLE', text: 'CARD-TEXT', result: { pending: true } });
    const snap = await extract(page);
    assert.ok(!snap.text.includes('CARD-'));
  });

  test('a second injection (as the background does for tabs opened before install) answers once', async (t) => {
    const page = await open(t, 'layout.html');
    await extract(page);
    const tabId = await session.browser.tabIdOf(page);
    await session.extPage.evaluate(async (id) => {
      const { chrome } = globalThis as unknown as {
        chrome: { runtime: { getManifest(): { content_scripts?: Array<{ js?: string[] }> } }; scripting: { executeScript(o: object): Promise<unknown> } };
      };
      const files = chrome.runtime.getManifest().content_scripts?.flatMap((c) => c.js ?? []) ?? [];
      await chrome.scripting.executeScript({ target: { tabId: id }, files });
    }, tabId);
    await page.waitForTimeout(200);
    // two listeners would each keep their own snapshots: the other copy would answer "earlier reading"
    for (let i = 0; i < 5; i++) {
      const snap = await extract(page);
      assert.equal(await highlight(page, snap, 'Ansel Hark'), 'Ansel Hark');
    }
    assert.deepEqual(await value(page, { type: 'content/clear' }), { cleared: 1 });
  });

  test('ignores requests that are not for the content script', async (t) => {
    const page = await open(t, 'layout.html');
    await extract(page); // the script is ready
    const reply = await sendRaw(page, { type: 'qa/ask', requestId: 'x', tabId: 1, question: 'q', scope: 'page' }).catch((err: unknown) => String(err));
    assert.ok(reply === undefined || /port closed|receiving end/i.test(String(reply)), `unexpected reply ${JSON.stringify(reply)}`);
  });
});
