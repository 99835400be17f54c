import type { ServerResponse } from 'node:http';

/**
 * Notices a client that goes away, from the moment the request is admitted. Listening only once
 * the stream has started (after the log write, a Redis round trip) missed clients that left in
 * between, and their generation ran and was paid for in full.
 */
export class ClientHangup {
  private gone = false;
  private handler: (() => void) | undefined;

  constructor(res: ServerResponse) {
    // `req` emits 'close' as soon as the body is read; only the response tells a real hang-up.
    res.once('close', () => {
      if (res.writableFinished) return;
      this.gone = true;
      this.handler?.();
    });
  }

  get isGone(): boolean {
    return this.gone;
  }

  /** Runs `handler` when the client leaves, or at once if it already has. */
  onGone(handler: () => void): void {
    this.handler = handler;
    if (this.gone) handler();
  }
}
