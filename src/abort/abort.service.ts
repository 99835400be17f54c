import { Injectable } from '@nestjs/common';
import { CancelBus } from './cancel-bus';
import { StreamAbortReason, type StreamAbortKind } from './stream-abort-reason';

/** What a caller gets for a request id it registered: the signal to run with, and its release. */
export interface StreamLease {
  readonly requestId: string;
  readonly signal: AbortSignal;
  abort(kind: StreamAbortKind): void;
  /** Forgets the stream. Idempotent; always call it in a `finally`. */
  release(): void;
}

/**
 * One AbortController per stream running in this process, keyed by request id. Cancels that
 * arrive on the CancelBus (from this instance or, with Redis, any other) abort the local one.
 */
@Injectable()
export class AbortService {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly bus: CancelBus) {
    bus.onCancel((requestId) => this.abortLocal(requestId, 'cancelled'));
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Registers a stream; undefined when that id already runs here. */
  register(requestId: string): StreamLease | undefined {
    if (this.running.has(requestId)) return undefined;
    const controller = new AbortController();
    this.running.set(requestId, controller);
    return {
      requestId,
      signal: controller.signal,
      abort: (kind) => abortWith(controller, kind),
      release: () => {
        if (this.running.get(requestId) === controller) this.running.delete(requestId);
      },
    };
  }

  isRunningHere(requestId: string): boolean {
    return this.running.has(requestId);
  }

  /** Cancels a stream wherever it runs. */
  async cancel(requestId: string): Promise<void> {
    if (this.abortLocal(requestId, 'cancelled')) return;
    await this.bus.publish(requestId);
  }

  /** Aborts every stream of this process, e.g. when the shutdown grace period is over. */
  abortAll(kind: StreamAbortKind): void {
    for (const controller of this.running.values()) abortWith(controller, kind);
  }

  private abortLocal(requestId: string, kind: StreamAbortKind): boolean {
    const controller = this.running.get(requestId);
    if (!controller) return false;
    abortWith(controller, kind);
    return true;
  }
}

function abortWith(controller: AbortController, kind: StreamAbortKind): void {
  if (!controller.signal.aborted) controller.abort(new StreamAbortReason(kind));
}
