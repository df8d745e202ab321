// Read once: while a page's read text is unchanged, a follow-up question reuses the content script's last reading
// (the same snapshotId, text and offsets), and marking an answer uses its text-node map without reading the page
// again; a change that touches the read text (edited, added in the article, hidden) makes it read again, a change
// elsewhere (an ad rotating in the sidebar, an element appended to <body>, a <body> class toggle) does not. The
// popup, opened on a page, has it read ahead, so the first question finds the reading. Chromium with the built
// extension (the popup case with a tiny random-weight QA model from the fake hub), and one check in Firefox ESR.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import type { AskReply, ContentReplies, ContentRequest, ExtractReply, Reply } from '../../src/shared/protocol.js';
import { chromiumUnavailable, launchChromium } from './harness/chromium.js';
import { firefoxUnavailable, launchFirefox } from './harness/firefox.js';
import { contentValue } from './harness/content-request.js';
import { contentSession, hubSession } from './harness/session.js';

const PAGE_CHANGED = 'the page has changed since the question was asked; ask again';

const skip = chromiumUnavailable();

describe('read once: the content script keeps its reading while the read text is unchanged', { skip }, () => {
  const session = contentSession(launchChromium, skip);

  /** A content request to the tab's top frame, sent from an extension page as the background does. */
  const value = <R extends ContentRequest>(page: Page, req: R): Promise<ContentReplies[R['type']]> => contentValue(session, page, req);

  const extract = (page: Page, scope: 'page' | 'selection' = 'page') => value(page, { type: 'content/extract', scope });

  async function open(t: TestContext, name: string, hash = ''): Promise<Page> {
    const page = await session.browser.openPage(session.server.fixtureUrl(name) + hash);
    t.after(() => page.close());
    await page.waitForLoadState('load');
    return page;
  }

  /** Two frames' time: the page's mutation records are delivered, its timers have run. */
  const settle = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

  function assertReused(again: ExtractReply, first: ExtractReply): void {
    assert.equal(again.reused, true, 'the reading is reused');
    assert.equal(again.snapshotId, first.snapshotId);
    assert.equal(again.text, first.text);
    assert.deepEqual(again.passages, first.passages);
  }

  function assertReadAgain(again: ExtractReply, first: ExtractReply): void {
    assert.equal(again.reused, false, 'the page is read again');
    assert.notEqual(again.snapshotId, first.snapshotId);
  }

  test('an unchanged page: the second question reuses the first reading', async (t) => {
    const page = await open(t, 'read-once.html');
    const first = await extract(page);
    assert.equal(first.reused, false, 'the first question reads the page');
    assert.equal(first.reading.kind, 'main');
    assert.match(first.text, /^The Salt Roads of Vessary\n/);
    assert.ok(!first.text.includes('Advertisement'), 'the sidebar is not read');
    assertReused(await extract(page), first);
    // a selection is always read as it is now
    await page.evaluate(() => {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById('p2') as HTMLElement);
      getSelection()?.addRange(range);
    });
    const sel1 = await extract(page, 'selection');
    const sel2 = await extract(page, 'selection');
    assert.equal(sel2.reused, false);
    assert.notEqual(sel2.snapshotId, sel1.snapshotId);
    // and it leaves the page's reading as it was
    assertReused(await extract(page), first);
  });

  test('changes outside the read text keep the reading: an ad rotating in the sidebar, an element appended to <body>', async (t) => {
    const page = await open(t, 'read-once.html', '#ads');
    const first = await extract(page);
    await page.waitForFunction(() => /offer number [3-9]/.test(document.getElementById('ad')?.textContent ?? ''));
    assertReused(await extract(page), first);
    await page.evaluate(() => {
      const banner = document.createElement('div');
      banner.textContent = 'Cookie notice: this site uses cookies.';
      document.body.append(banner);
    });
    await settle(page);
    assertReused(await extract(page), first);
  });

  test('an edited paragraph of the article is read again, with its new text', async (t) => {
    const page = await open(t, 'read-once.html', '#ads');
    const first = await extract(page);
    await page.evaluate(() => {
      (document.getElementById('p4') as HTMLElement).firstChild!.textContent = 'The railway reached the plateau in 1893, four years late.';
    });
    const again = await extract(page);
    assertReadAgain(again, first);
    assert.ok(again.text.includes('The railway reached the plateau in 1893, four years late.'), again.text);
    assert.ok(!again.text.includes('in 1889'));
    // the new reading is kept in turn
    assertReused(await extract(page), again);
  });

  test('a paragraph appended inside the article is read again and included', async (t) => {
    const page = await open(t, 'read-once.html');
    const first = await extract(page);
    await page.evaluate(() => {
      const p = document.createElement('p');
      p.textContent = 'A second fair, in spring, was added in 1999 and sells salt-glazed pottery from the plateau.';
      document.getElementById('article')?.append(p);
    });
    const again = await extract(page);
    assertReadAgain(again, first);
    assert.match(again.text, /A second fair, in spring, was added in 1999/);
  });

  test('the article hidden by a class on an ancestor is read again', async (t) => {
    const page = await open(t, 'read-once.html');
    const first = await extract(page);
    await page.evaluate(() => document.getElementById('page')?.classList.add('article-hidden'));
    const again = await extract(page);
    assertReadAgain(again, first);
    assert.ok(!again.text.includes('Greywater Way'), `the hidden article is not read:\n${again.text}`);
  });

  test('a <body> class toggle that changes nothing in the article keeps the reading', async (t) => {
    const page = await open(t, 'read-once.html');
    const first = await extract(page);
    await page.evaluate(() => document.body.classList.add('scrolled'));
    assertReused(await extract(page), first);
    await page.evaluate(() => {
      document.body.classList.remove('scrolled');
      document.body.style.overflow = 'hidden'; // a modal opening: the page stops scrolling, the text stays
    });
    assertReused(await extract(page), first);
  });

  test('a whole-page reading: new text anywhere is read again, a <body> class toggle is not', async (t) => {
    const page = await open(t, 'read-once-whole.html');
    const first = await extract(page);
    assert.equal(first.reading.kind, 'page');
    await page.evaluate(() => document.body.classList.add('scrolled'));
    assertReused(await extract(page), first);
    await page.evaluate(() => {
      const notice = document.createElement('div');
      notice.textContent = 'Storm warning for the outer harbour.';
      document.body.append(notice);
    });
    const again = await extract(page);
    assertReadAgain(again, first);
    assert.ok(again.text.includes('Storm warning for the outer harbour.'));
  });

  test('after an unrelated change an answer is marked exactly from the kept reading, without reading the page again', async (t) => {
    const page = await open(t, 'read-once.html', '#ads');
    const first = await extract(page);
    const answer = 'convoys of twenty to thirty animals';
    const start = first.text.indexOf(answer);
    assert.ok(start >= 0);
    const mark = () => value(page, { type: 'content/highlight', snapshotId: first.snapshotId, start, end: start + answer.length, scroll: false });
    await page.waitForFunction(() => /offer number [3-9]/.test(document.getElementById('ad')?.textContent ?? ''));
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('div'), { textContent: 'Subscribe to our newsletter' })));
    // Proof that marking does not read the page: a rule inserted through CSSOM (no DOM change, so no watcher sees
    // it) makes the <em>s of the answer's paragraph blocks; a reading taken now would split the paragraph into
    // passages, not find it as it was read, and refuse the answer
    await page.evaluate(() => document.styleSheets[0].insertRule('#p3 em { display: block; }'));
    assert.equal((await mark()).text, answer);
    assert.equal((await page.locator('mark[data-lens-answer]').allTextContents()).join(''), answer);
    // a change that touches the reading makes marking read the page again: now it sees the split paragraph
    await page.evaluate(() => document.getElementById('p5')?.append(' The fair ends with a bonfire.'));
    await assert.rejects(mark(), (err: Error) => err.message.includes(PAGE_CHANGED));
  });
});

describe('read once: the popup has the page read as it opens', { skip }, () => {
  const session = hubSession();

  test('the first question asked in the popup reuses the reading made when it opened', async (t) => {
    const downloaded = (await session.options.evaluate(() => chrome.runtime.sendMessage({ type: 'models/download', modelId: 'mobilebert-squad2' }))) as Reply<unknown>;
    assert.equal(downloaded.ok, true, JSON.stringify(downloaded));

    // without the popup: the first question reads the page, the second reuses that reading
    const plain = await session.lens.openPage(session.server.fixtureUrl('read-once.html'));
    t.after(() => plain.close());
    const plainTab = await session.lens.tabIdOf(plain);
    const ask = async (tabId: number) => {
      const reply = (await session.options.evaluate(
        (tab) => chrome.runtime.sendMessage({ type: 'qa/ask', requestId: crypto.randomUUID(), tabId: tab, question: 'Who cut the Greywater Way?', scope: 'page' }),
        tabId,
      )) as Reply<AskReply>;
      if (!reply.ok) assert.fail(reply.error);
      return reply.value;
    };
    const q1 = await ask(plainTab);
    assert.equal(q1.reused, false, 'a first question reads the page');
    const q2 = await ask(plainTab);
    assert.equal(q2.reused, true, 'a follow-up question reuses the reading');
    assert.equal(q2.snapshotId, q1.snapshotId);

    // with the popup: opening it reads the page, so its first question reuses that reading
    const page = await session.lens.openPage(session.server.fixtureUrl('read-once.html'));
    t.after(() => page.close());
    const tabId = await session.lens.tabIdOf(page);
    const popup = await session.lens.openExtensionPage(`src/popup/popup.html?tab=${tabId}`);
    t.after(() => popup.close());
    await popup.waitForSelector('#scope[data-prepared]');
    assert.equal(await popup.getAttribute('#scope', 'data-prepared'), 'read');
    await popup.fill('#question', 'Who cut the Greywater Way?');
    await popup.click('#ask');
    await popup.waitForSelector('[data-testid="reading"]', { timeout: 60_000 });
    assert.equal(await popup.getAttribute('[data-testid="reading"]', 'data-reused'), 'true', 'the first question found the reading');

    // a popup opened on the Classify view, or on a selection, does not read the page
    const other = await session.lens.openPage(session.server.fixtureUrl('read-once.html'));
    t.after(() => other.close());
    const otherTab = await session.lens.tabIdOf(other);
    const classify = await session.lens.openExtensionPage(`src/popup/popup.html?tab=${otherTab}&view=classify`);
    t.after(() => classify.close());
    await classify.waitForSelector('#classify-text, [data-testid="consent"]');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await classify.getAttribute('#scope', 'data-prepared'), null, 'the Classify view reads nothing');
    const first = await ask(otherTab);
    assert.equal(first.reused, false, 'nothing was read before this question');
  });
});

interface BrowserGlobal {
  browser: {
    tabs: {
      query(q: object): Promise<Array<{ id?: number; url?: string }>>;
      sendMessage(tabId: number, msg: unknown, options?: { frameId?: number }): Promise<unknown>;
    };
  };
}

const firefoxSkip = firefoxUnavailable();

describe('read once in Firefox ESR (content script behind Xray wrappers)', { skip: firefoxSkip }, () => {
  const session = contentSession(launchFirefox, firefoxSkip);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('the reading is kept through an ad rotating and a <body> class toggle, and read again when the article changes', async (t) => {
    const url = `${session.server.fixtureUrl('read-once.html')}?firefox`;
    const page = await session.browser.openPage(url);
    t.after(() => page.close());
    let tabId = -1;
    for (let attempt = 0; tabId < 0; attempt++) {
      const tabs = await session.extPage.evaluate(() => (globalThis as unknown as BrowserGlobal).browser.tabs.query({}));
      tabId = tabs.find((tab) => tab.url === url)?.id ?? -1;
      if (tabId < 0 && attempt > 50) throw new Error(`no tab has ${url}`);
      if (tabId < 0) await sleep(100);
    }
    const extract = async (): Promise<ExtractReply> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const reply = (await session.extPage.evaluate(
            (id, m) => (globalThis as unknown as BrowserGlobal).browser.tabs.sendMessage(id, m, { frameId: 0 }),
            tabId,
            { type: 'content/extract', scope: 'page' },
          )) as Reply<ExtractReply>;
          if (!reply.ok) throw new Error(reply.error);
          return reply.value;
        } catch (err) {
          if (attempt > 50 || !/receiving end does not exist/i.test(String(err))) throw err;
          await sleep(100);
        }
      }
    };
    const first = await extract();
    assert.equal(first.reused, false);
    await page.evaluate(() => {
      const w = window as unknown as { rotateAd(): void };
      for (let i = 0; i < 5; i++) w.rotateAd();
      document.body.classList.add('scrolled');
      document.body.append(Object.assign(document.createElement('div'), { textContent: 'Cookie notice' }));
    });
    const kept = await extract();
    assert.equal(kept.reused, true);
    assert.equal(kept.snapshotId, first.snapshotId);
    await page.evaluate(() => document.getElementById('p2')?.append(' They also kept a ferry.'));
    const again = await extract();
    assert.equal(again.reused, false);
    assert.match(again.text, /They also kept a ferry\./);
    await page.evaluate(() => document.getElementById('page')?.classList.add('article-hidden'));
    const hidden = await extract();
    assert.equal(hidden.reused, false);
    assert.ok(!hidden.text.includes('Greywater Way'));
  });
});
