import { Injectable } from '@nestjs/common';

/** Whether the process has begun shutting down; new streams, readiness and attachers check it. */
@Injectable()
export class ShutdownState {
  private draining = false;
  private closing = false;
  /**
   * Attached readers to end when connections are about to close. A set of callbacks rather than
   * listeners on one AbortSignal: thousands of readers at once are normal, and an EventTarget
   * warns of a leak past ten listeners.
   */
  private readonly readers = new Set<() => void>();

  get isShuttingDown(): boolean {
    return this.draining;
  }

  /** Readers registered now; a leak check for the tests. */
  get readerCount(): number {
    return this.readers.size;
  }

  begin(): void {
    this.draining = true;
  }

  /**
   * Calls `close` when connections are about to close (at once if they already are), so the
   * reader ends and its client resumes elsewhere. Returns the unregister function.
   */
  onClosing(close: () => void): () => void {
    if (this.closing) {
      close();
      return () => undefined;
    }
    this.readers.add(close);
    return () => this.readers.delete(close);
  }

  closeReaders(): void {
    this.closing = true;
    for (const close of [...this.readers]) close();
    this.readers.clear();
  }
}
