import { Injectable } from '@nestjs/common';

/** Whether the process has begun shutting down; new streams, readiness and attachers check it. */
@Injectable()
export class ShutdownState {
  private draining = false;
  private readonly closing = new AbortController();

  get isShuttingDown(): boolean {
    return this.draining;
  }

  /** Aborts when connections are about to close: attached readers end so clients resume elsewhere. */
  get closingSignal(): AbortSignal {
    return this.closing.signal;
  }

  begin(): void {
    this.draining = true;
  }

  closeReaders(): void {
    this.closing.abort();
  }
}
