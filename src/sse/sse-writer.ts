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
 */
export class SseWriter {
  private heartbeat: NodeJS.Timeout | undefined;
  /** Set on every write; the heartbeat timer reads it instead of being re-armed per token. */
  private lastWriteAt = 0;
  private corked = false;
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

  /** Sends the status and headers at once, so the client has the request id before any token. */
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
    this.res.flushHeaders();
    this.coalesce();
    const preamble = this.options.renderer.preamble();
    if (preamble) this.res.write(preamble);
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
    this.coalesce();
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
    this.coalesce();
    const epilogue = this.options.renderer.epilogue();
    if (epilogue) this.res.write(epilogue);
    // Uncork before ending: on Node 22 and 24, `end()` on a corked chunked response sends the
    // terminating chunk ahead of the corked data, and the client loses the last events.
    this.releaseCork();
    this.res.end();
  }

  /**
   * Events written in the same tick (start after the preamble; usage, end and [DONE] at the
   * close) leave in one socket write instead of one each; a lone token is not delayed, because
   * the cork is released on the next tick.
   */
  private coalesce(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    process.nextTick(() => this.releaseCork());
  }

  private releaseCork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
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
