// Chrome's real side panel, driven over CDP. Headless Chromium opens it (chrome.sidePanel.open from a click, a
// user gesture) and lists it as a page target, but Playwright does not attach to it (it is no tab), so this
// attaches a session of its own (Target.attachToTarget without flattening: its messages travel through the
// browser session) and gives the few things the tests need: evaluate, wait, click and type as input events,
// screenshots, and an axe-core audit (axe's own script, injected: DevTools' evaluate is not bound by the page's CSP).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CDPSession } from 'playwright-core';
import { transitionsSettled, type LensChromium } from './chromium.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
}

interface Envelope {
  id?: number;
  result?: unknown;
  error?: { message: string };
}

interface EvaluateResult {
  result: { value?: unknown };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

export interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

export class SidePanel {
  private next = 0;
  private readonly pending = new Map<number, (m: Envelope) => void>();

  private constructor(
    private readonly browserSession: CDPSession,
    private readonly sessionId: string,
    readonly url: string,
  ) {
    browserSession.on('Target.receivedMessageFromTarget', (e) => {
      if (e.sessionId !== this.sessionId) return;
      const m = JSON.parse(e.message) as Envelope;
      if (m.id !== undefined) {
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
      }
    });
  }

  /** The side panel document whose URL starts with `prefix` (waits for it to appear). */
  static async find(lens: LensChromium, prefix: string, timeoutMs = 15_000): Promise<SidePanel> {
    const browserSession = await lens.context.browser()?.newBrowserCDPSession();
    if (!browserSession) throw new Error('SidePanel.find: no browser CDP session');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { targetInfos } = (await browserSession.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
      // Playwright's pages are tabs it attached to; the panel is the page target on that URL it did not
      const tabs = new Set(lens.context.pages().map((p) => p.url()));
      const target = targetInfos.find((t) => t.type === 'page' && t.url.startsWith(prefix) && !tabs.has(t.url));
      if (target) {
        const { sessionId } = (await browserSession.send('Target.attachToTarget', { targetId: target.targetId, flatten: false })) as { sessionId: string };
        const panel = new SidePanel(browserSession, sessionId, target.url);
        await panel.send('Runtime.enable');
        return panel;
      }
      if (Date.now() > deadline) throw new Error(`no side panel at ${prefix} (targets: ${targetInfos.map((t) => `${t.type} ${t.url}`).join(', ')})`);
      await sleep(100);
    }
  }

  /** Whether a side panel page on that URL is open now. */
  static async isOpen(lens: LensChromium, prefix: string): Promise<boolean> {
    const browserSession = await lens.context.browser()?.newBrowserCDPSession();
    if (!browserSession) return false;
    const { targetInfos } = (await browserSession.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
    const tabs = new Set(lens.context.pages().map((p) => p.url()));
    return targetInfos.some((t) => t.type === 'page' && t.url.startsWith(prefix) && !tabs.has(t.url));
  }

  send<T = unknown>(method: string, params: object = {}): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result as T)));
      this.browserSession.send('Target.sendMessageToTarget', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
  }

  /** Runs fn(arg) in the panel (serializable in and out; a promise is awaited). */
  async evaluate<A, T>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> {
    const r = await this.send<EvaluateResult>('Runtime.evaluate', { expression: `(${fn.toString()})(${JSON.stringify(arg ?? null)})`, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the side panel: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** Waits until fn(arg) is truthy in the panel; returns its value. */
  async waitFor<A, T>(fn: (arg: A) => T | Promise<T>, arg?: A, what = 'a condition', timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate(fn, arg).catch(() => undefined);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`the side panel did not reach ${what} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Waits until a JavaScript expression is truthy in the panel (evaluated as DevTools does: no eval under the page's CSP). */
  async waitForExpression(expression: string, what = expression, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.send<EvaluateResult>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }).catch(() => undefined);
      if (r && !r.exceptionDetails && r.result.value) return;
      if (Date.now() > deadline) throw new Error(`the side panel did not reach ${what} within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** A real click (mouse events at the element's centre), so the page sees a user gesture. */
  async click(selector: string): Promise<void> {
    const box = await this.waitFor(
      (sel) => {
        const el = document.querySelector(sel);
        if (!el) return undefined;
        el.scrollIntoView({ block: 'center' });
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 ? { x: r.left + r.width / 2, y: r.top + r.height / 2 } : undefined;
      },
      selector,
      `a visible ${selector}`,
    );
    for (const type of ['mouseMoved', 'mousePressed', 'mouseReleased']) {
      await this.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: type === 'mouseMoved' ? 0 : 1 });
    }
  }

  /** Focuses the field, replaces its text and types as keyboard input. */
  async fill(selector: string, text: string): Promise<void> {
    await this.waitFor(
      (sel) => {
        const el = document.querySelector<HTMLInputElement>(sel);
        if (!el || el.disabled || el.offsetParent === null) return false;
        el.focus();
        el.select();
        return true;
      },
      selector,
      `an enabled ${selector}`,
    );
    await this.send('Input.insertText', { text });
  }

  async press(key: 'Enter' | 'Tab'): Promise<void> {
    const code = key === 'Enter' ? 13 : 9;
    await this.send('Input.dispatchKeyEvent', { type: 'keyDown', key, code: key, windowsVirtualKeyCode: code, ...(key === 'Enter' ? { text: '\r' } : {}) });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code: key, windowsVirtualKeyCode: code });
  }

  /** The whole document, also what lies below the panel's height (as Playwright's fullPage). */
  async screenshot(): Promise<Buffer> {
    const { cssContentSize } = await this.send<{ cssContentSize: { width: number; height: number } }>('Page.getLayoutMetrics');
    const clip = { x: 0, y: 0, width: Math.ceil(cssContentSize.width), height: Math.ceil(cssContentSize.height), scale: 1 };
    const { data } = await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png', clip, captureBeyondViewport: true });
    return Buffer.from(data, 'base64');
  }

  async colorScheme(scheme: 'light' | 'dark'): Promise<void> {
    await this.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: scheme }] });
    await this.evaluate(transitionsSettled);
  }

  /** axe-core's violations of the panel as it is now. */
  async axe(): Promise<AxeViolation[]> {
    const source = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await this.send('Runtime.evaluate', { expression: source });
    return this.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
      const { violations } = await axe.run(document, { resultTypes: ['violations'] });
      return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
    });
  }
}
