// A dedicated Web Worker that hosts one model session for the Firefox background (src/background/session-workers.ts).
// Built apart, for the Firefox package only, as one self-contained ES module at src/workers/session-worker.js
// (vite.config.ts): it runs no extension code (no webextension-polyfill, which throws outside extension pages).
import { serveSession } from './session-host.js';
import type { ToSessionWorker } from './session-protocol.js';

/** The slice of a dedicated worker's global scope used here (checked without the WebWorker lib). */
interface WorkerScope {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
serveSession({
  post: (message, transfer) => scope.postMessage(message, transfer),
  onMessage: (listener) => scope.addEventListener('message', (event) => listener(event.data as ToSessionWorker)),
});
