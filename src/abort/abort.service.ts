import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StreamAbortReason, type StreamAbortKind } from './stream-abort-reason';

/** What a caller gets for a request id it registered: the signal to run with, and its release. */
export interface StreamLease {
  readonly requestId: string;
  readonly signal: AbortSignal;
  abort(kind: StreamAbortKind): void;
  /** Marks the stream finished. Idempotent; always call it in a `finally`. */
  release(): void;
}

export type RegisterOutcome = { ok: true; lease: StreamLease } | { ok: false; reason: 'duplicate' };
export type CancelOutcome = 'cancelling' | 'finished' | 'unknown';

interface RunningEntry {
  controller: AbortController;
  owner: string | undefined;
}

interface FinishedEntry {
  owner: string | undefined;
  expiresAt: number;
}

/**
 * One AbortController per running request id. Finished ids are remembered for STREAM_TTL_S (at
 * most MEMORY_LOG_MAX_STREAMS of them) so that reusing an id answers 409 and a late cancel 409.
 */
@Injectable()
export class AbortService {
  private readonly running = new Map<string, RunningEntry>();
  /** Insertion order is expiry order, because every entry lives for the same TTL. */
  private readonly finished = new Map<string, FinishedEntry>();
  private readonly ttlMs: number;
  private readonly maxFinished: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.ttlMs = config.stream.ttlSeconds * 1000;
    this.maxFinished = config.stream.memoryLogMaxStreams;
  }

  get runningCount(): number {
    return this.running.size;
  }

  get finishedCount(): number {
    this.sweep(Date.now());
    return this.finished.size;
  }

  register(requestId: string, owner: string | undefined): RegisterOutcome {
    this.sweep(Date.now());
    if (this.running.has(requestId) || this.finished.has(requestId)) {
      return { ok: false, reason: 'duplicate' };
    }
    const entry: RunningEntry = { controller: new AbortController(), owner };
    this.running.set(requestId, entry);
    let released = false;
    return {
      ok: true,
      lease: {
        requestId,
        signal: entry.controller.signal,
        abort: (kind) => abortEntry(entry, kind),
        release: () => {
          if (released) return;
          released = true;
          this.finish(requestId, entry);
        },
      },
    };
  }

  /** Aborts a running stream. `owner` must match the one that started it (API_KEYS mode). */
  cancel(requestId: string, owner: string | undefined): CancelOutcome {
    const entry = this.running.get(requestId);
    if (entry && entry.owner === owner) {
      abortEntry(entry, 'cancelled');
      return 'cancelling';
    }
    this.sweep(Date.now());
    const done = this.finished.get(requestId);
    if (done && done.owner === owner) return 'finished';
    return 'unknown';
  }

  /** Aborts every running stream, e.g. when the shutdown grace period is over. */
  abortAll(kind: StreamAbortKind): void {
    for (const entry of this.running.values()) abortEntry(entry, kind);
  }

  private finish(requestId: string, entry: RunningEntry): void {
    if (this.running.get(requestId) === entry) this.running.delete(requestId);
    this.finished.set(requestId, { owner: entry.owner, expiresAt: Date.now() + this.ttlMs });
    while (this.finished.size > this.maxFinished) {
      this.finished.delete(this.finished.keys().next().value as string);
    }
  }

  private sweep(now: number): void {
    for (const [id, entry] of this.finished) {
      if (entry.expiresAt > now) return;
      this.finished.delete(id);
    }
  }
}

function abortEntry(entry: RunningEntry, kind: StreamAbortKind): void {
  if (!entry.controller.signal.aborted) entry.controller.abort(new StreamAbortReason(kind));
}
