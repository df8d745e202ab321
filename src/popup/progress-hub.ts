// Routes the background's progress events to whoever waits on that request id.
import type { ProgressEvent } from '../shared/protocol.js';

export class ProgressHub {
  private readonly byRequest = new Map<string, (event: ProgressEvent) => void>();

  on(requestId: string, fn: (event: ProgressEvent) => void): () => void {
    this.byRequest.set(requestId, fn);
    return () => this.byRequest.delete(requestId);
  }

  dispatch(event: ProgressEvent): void {
    if (event.requestId) this.byRequest.get(event.requestId)?.(event);
  }
}
