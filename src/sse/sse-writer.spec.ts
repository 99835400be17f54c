import { EventEmitter, once } from 'node:events';
import { createServer, get, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { toStoredEvent } from '../protocol/stored-event';
import { NativeRenderer } from '../protocol/native/native-renderer';
import { SseWriter } from './sse-writer';

/** A stand-in for ServerResponse that records what was written and can refuse writes. */
class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  headers: Record<string, string> = {};
  statusCode = 0;
  destroyed = false;
  writableEnded = false;
  /** Set as Node sets it: by flushHeaders() or by the first write, which carries the headers. */
  headersSent = false;
  acceptWrites = true;
  shouldKeepAlive = true;

  writeHead(status: number, headers: Record<string, string>): this {
    this.statusCode = status;
    this.headers = headers;
    return this;
  }
  flushHeaders(): void {
    this.headersSent = true;
  }
  write(chunk: string): boolean {
    this.headersSent = true;
    this.chunks.push(chunk);
    return this.acceptWrites;
  }
  end(chunk?: string): void {
    if (chunk) this.write(chunk);
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  get text(): string {
    return this.chunks.join('');
  }
}

function makeWriter(
  heartbeatMs = 1000,
  stallTimeoutMs = 60_000,
): { res: FakeResponse; writer: SseWriter } {
  const res = new FakeResponse();
  const writer = new SseWriter(res as unknown as ServerResponse, {
    requestId: 'req-1',
    renderer: new NativeRenderer(),
    heartbeatMs,
    stallTimeoutMs,
  });
  return { res, writer };
}

const START = {
  requestId: 'req-1',
  model: 'm',
  provider: 'p',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('SseWriter', () => {
  afterEach(() => jest.useRealTimers());

  it('sends status and every contract header, flushed before any event', () => {
    const { res, writer } = makeWriter();
    writer.open();
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Request-Id': 'req-1',
    });
    expect(res.headersSent).toBe(true);
    expect(res.text).toBe('retry: 2000\n\n');
    writer.end();
  });

  it('sends the headers at once for a view without a preamble too', () => {
    const res = new FakeResponse();
    const writer = new SseWriter(res as unknown as ServerResponse, {
      requestId: 'req-1',
      renderer: Object.assign(new NativeRenderer(), { preamble: () => '' }),
      heartbeatMs: 1000,
      stallTimeoutMs: 60_000,
    });
    writer.open();
    expect(res.headersSent).toBe(true);
    expect(res.text).toBe('');
    writer.end();
  });

  it('says Connection: close when the client asked for it, so the socket closes after [DONE]', () => {
    const { res, writer } = makeWriter();
    res.shouldKeepAlive = false;
    writer.open();
    expect(res.headers.Connection).toBe('close');
    // Ending stops the heartbeat; a writer left open re-arms it forever and jest never exits.
    writer.end();
  });

  it('destroys the response when the client leaves its socket full past stallTimeoutMs', async () => {
    const { res, writer } = makeWriter(1000, 50);
    writer.open();
    res.acceptWrites = false;
    const wait = writer.write(toStoredEvent({ id: 1, type: 'token', data: { content: 'x' } }));
    expect(wait).toBeInstanceOf(Promise);
    const started = Date.now();
    await wait;
    expect(res.destroyed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    writer.end();
  });

  it('pings only while nothing else was written for heartbeatMs', async () => {
    jest.useFakeTimers();
    const { res, writer } = makeWriter(1000);
    writer.open();
    jest.advanceTimersByTime(900);
    await writer.write(toStoredEvent({ id: 0, type: 'token', data: { content: 'a' } }));
    jest.advanceTimersByTime(900);
    expect(res.text).not.toContain(': ping');
    jest.advanceTimersByTime(200);
    expect(res.text.match(/: ping\n\n/g)).toHaveLength(1);
    jest.advanceTimersByTime(2000);
    expect(res.text.match(/: ping\n\n/g)).toHaveLength(3);
    writer.end();
    jest.advanceTimersByTime(5000);
    expect(res.text.match(/: ping\n\n/g)).toHaveLength(3);
  });

  it('waits for drain when the socket buffer is full, so a slow client slows the producer', async () => {
    const { res, writer } = makeWriter();
    writer.open();
    res.acceptWrites = false;
    let resolved = false;
    const backpressure = writer.write(
      toStoredEvent({ id: 0, type: 'token', data: { content: 'a' } }),
    );
    expect(backpressure).toBeInstanceOf(Promise);
    const pending = backpressure?.then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);
    res.emit('drain');
    await pending;
    expect(resolved).toBe(true);
    expect(res.listenerCount('drain')).toBe(0);
    expect(res.listenerCount('close')).toBe(0);
    writer.end();
  });

  it('stops waiting when the client goes away while the buffer is full', async () => {
    const { res, writer } = makeWriter();
    writer.open();
    res.acceptWrites = false;
    const pending = writer.write(toStoredEvent({ id: 0, type: 'token', data: { content: 'a' } }));
    res.destroyed = true;
    res.emit('close');
    await expect(pending).resolves.toBeUndefined();
    writer.end();
  });

  it('sends the writes of one tick, [DONE] and the end of the body in one socket write', async () => {
    const flushes: string[] = [];
    const server = createServer((_req, res) => {
      // Every batch the socket hands to the kernel passes through _write or _writev.
      const socket = res.socket as Socket & {
        _writev(chunks: { chunk: unknown }[], cb: () => void): void;
      };
      const writev = socket._writev.bind(socket);
      socket._writev = (chunks, cb) => {
        flushes.push(chunks.map(({ chunk }) => String(chunk)).join(''));
        writev(chunks, cb);
      };
      const writeOne = socket._write.bind(socket);
      socket._write = (chunk: unknown, encoding: BufferEncoding, cb: () => void) => {
        flushes.push(String(chunk));
        writeOne(chunk, encoding, cb);
      };
      const writer = new SseWriter(res, {
        requestId: 'req-1',
        renderer: new NativeRenderer(),
        heartbeatMs: 1000,
        stallTimeoutMs: 60_000,
      });
      void (async () => {
        await Promise.resolve();
        writer.open();
        await Promise.resolve();
        void writer.write(toStoredEvent({ id: 0, type: 'start', data: START }));
        await new Promise((resolve) => setTimeout(resolve, 10));
        void writer.write(toStoredEvent({ id: 1, type: 'token', data: { content: 'a' } }));
        await new Promise((resolve) => setTimeout(resolve, 10));
        const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
        void writer.write(toStoredEvent({ id: 2, type: 'usage', data: usage }));
        await Promise.resolve();
        void writer.write(toStoredEvent({ id: 3, type: 'end', data: { reason: 'stop' } }));
        writer.end();
      })();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/`, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toContain('data: [DONE]');
      expect(flushes).toHaveLength(3);
      expect(flushes[0]).toMatch(/^HTTP\/1\.1 200[\s\S]*retry: 2000[\s\S]*event: start/);
      expect(flushes[1]).toContain('"content":"a"');
      expect(flushes[2]).toMatch(
        /event: usage[\s\S]*event: end[\s\S]*data: \[DONE\][\s\S]*\r\n0\r\n\r\n$/,
      );
    } finally {
      server.close();
    }
  });

  it('costs no promise while the socket takes the writes', () => {
    const { writer } = makeWriter();
    writer.open();
    expect(
      writer.write(toStoredEvent({ id: 0, type: 'token', data: { content: 'a' } })),
    ).toBeUndefined();
    writer.end();
  });

  it('drops writes after the client left, and ends with [DONE] exactly once', async () => {
    const { res, writer } = makeWriter();
    writer.open();
    await writer.write(toStoredEvent({ id: 0, type: 'end', data: { reason: 'stop' } }));
    expect(writer.endSeen).toBe(true);
    writer.end();
    writer.end();
    expect(res.text.match(/data: \[DONE\]/g)).toHaveLength(1);
    await writer.write(toStoredEvent({ id: 1, type: 'token', data: { content: 'late' } }));
    expect(res.text).not.toContain('late');
  });
});
