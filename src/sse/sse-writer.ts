import type { ServerResponse } from 'node:http';
import type { StoredEvent } from '../protocol/stored-event';
import type { StreamRenderer } from '../protocol/stream-renderer';

export interface SseWriterOptions {
  requestId: string;
  /** The wire view this response speaks. */
  renderer: StreamRenderer;
  heartbeatMs: number;
  /**
   * How long a client may leave its socket full before it counts as gone. While it is full the
   * stream stops pulling from upstream (at most Node's writable high-water mark plus one event
   * wait in this process); after this long the response is destroyed, which cancels the
   * generation or, with `onDisconnect: continue`, leaves it running into the log for a resume.
   */
  stallTimeoutMs: number;
}

/**
 * Owns one SSE response: headers, heartbeat, backpressure and a guaranteed end; the renderer
 * decides what each event looks like. Writes after the client went away are dropped, never
 * thrown.
 *
 * Writes of one tick (the preamble and `start`; `usage`, `end` and the epilogue) leave in one
 * socket write without corking here: Node's HTTP response corks its socket on the first write of
 * a tick and uncorks it on the next, and `end()` flushes everything still corked with the
 * terminating chunk. Corking the response ourselves cost a cork, an uncork and a callback per
 * token and, because `end()` had to follow an uncork (Node 22 and 24 otherwise send the
 * terminating chunk ahead of the corked data), a socket write of its own at the end.
 */
export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  /** Set on every write; the heartbeat timer reads it instead of being re-armed per token. */
  private lastWriteAt = 0;
  private lastEvent: StoredEvent | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseWriterOptions,
  ) {}

  /** True once the client is gone or the response was ended. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Whether the stream's `end` event has been written (or would have been, had the client stayed). */
  get endSeen(): boolean {
    return this.lastEvent?.type === 'end';
  }

  get lastEventId(): number | undefined {
    return this.lastEvent?.id;
  }

  /**
   * Sends the status and headers at once, so the client has the request id before any token:
   * with the preamble when the view has one (one socket write for both), else on their own.
   */
  open(): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // no-transform also keeps `compression` and proxies from buffering the stream.
      'Cache-Control': 'no-cache, no-transform',
      // Honour a client's `Connection: close` (and HTTP/1.0): the socket closes after [DONE].
      Connection: this.res.shouldKeepAlive ? 'keep-alive' : 'close',
      // nginx: disable proxy buffering for this response.
      'X-Accel-Buffering': 'no',
      'X-Request-Id': this.options.requestId,
      ...this.options.renderer.headers,
    });
    const preamble = this.options.renderer.preamble();
    if (preamble) this.res.write(preamble);
    else this.res.flushHeaders();
    this.lastWriteAt = performance.now();
    this.heartbeat = setTimeout(() => this.ping(), this.options.heartbeatMs);
  }

  /**
   * Writes one event. Returns a promise only when the socket buffer is full (resolved on `drain`
   * or close), so the common case costs no promise: `const wait = writer.write(e); if (wait) await wait`.
   */
  write(event: StoredEvent): Promise<void> | undefined {
    this.lastEvent = event;
    if (this.closed) return undefined;
    const text = this.options.renderer.render(event);
    if (text === '') return undefined;
    const flushed = this.res.write(text);
    this.lastWriteAt = performance.now();
    return flushed ? undefined : this.drainOrClose();
  }

  /**
   * Feeds an event the client already has to the renderer without writing it, so a stateful
   * view resumed in the middle renders what follows exactly as it did the first time.
   */
  skip(event: StoredEvent): void {
    this.lastEvent = event;
    this.options.renderer.render(event);
  }

  /** Writes the view's epilogue (`[DONE]`) and ends the response; safe to call more than once. */
  end(): void {
    clearTimeout(this.heartbeat);
    if (this.closed) return;
    // Handed to end() rather than written first, so the epilogue and the terminating chunk leave
    // in the same socket write as the events of this tick (usage, end).
    this.res.end(this.options.renderer.epilogue());
  }

  private ping(): void {
    if (this.closed) return;
    const quietFor = performance.now() - this.lastWriteAt;
    if (quietFor >= this.options.heartbeatMs) {
      this.res.write(this.options.renderer.ping);
      this.lastWriteAt = performance.now();
    }
    const next = this.options.heartbeatMs - (performance.now() - this.lastWriteAt);
    this.heartbeat = setTimeout(() => this.ping(), Math.max(1, next));
  }

  private drainOrClose(): Promise<void> {
    return new Promise((resolve) => {
      const stalled = setTimeout(() => this.res.destroy(), this.options.stallTimeoutMs);
      const done = (): void => {
        clearTimeout(stalled);
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }
}
