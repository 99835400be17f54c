import { connect, type Socket } from 'node:net';
import { endReason, readStream, tokenText } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1_000;
const KEEP_ALIVE_TIMEOUT_MS = 2_000;
/** Node sweeps for expired requests periodically (100 ms here) and the machine may be busy. */
const SLACK_MS = 1_000;
/** Node 24 closes an idle connection `keepAliveTimeoutBuffer` (1 s) after the advertised time. */
const KEEP_ALIVE_BUFFER_MS = 1_000;

/** A raw client connection that records what the server sent and when it closed the socket. */
interface RawClient {
  socket: Socket;
  received(): string;
  /** Resolves with ms since connect when the server closes (or resets) the connection. */
  closed: Promise<number>;
}

function openRawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    // A reset after the server's 408 is as closed as a FIN.
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) =>
      socket.once('close', () => done(performance.now() - started)),
    );
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
    socket.once('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('HTTP server timeouts (raw sockets against the real app)', () => {
  let service: RunningApp;
  const clients: RawClient[] = [];

  async function client(): Promise<RawClient> {
    const opened = await openRawClient(service.port);
    clients.push(opened);
    return opened;
  }

  beforeAll(async () => {
    service = await startApp({
      LLM_PROVIDER: 'demo',
      DEMO_TOKEN_DELAY_MS: '75',
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    });
  });

  afterAll(async () => {
    for (const { socket } of clients) socket.destroy();
    await service?.close();
  });

  it('disconnects a client that sends half its headers and stalls, after the headers timeout', async () => {
    const raw = await client();
    raw.socket.write('POST /api/chat/stream HTTP/1.1\r\nHost: gateway\r\nContent-Type: appl');
    const closedAt = await raw.closed;
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAt).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(closedAt).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('disconnects a client that connects and sends nothing, after the headers timeout', async () => {
    const raw = await client();
    const closedAt = await raw.closed;
    expect(closedAt).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(closedAt).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('cuts a body upload that trickles in slower than the request timeout allows', async () => {
    const raw = await client();
    const body = JSON.stringify({ query: 'x'.repeat(200) });
    raw.socket.write(
      'POST /api/chat/stream HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    // Headers complete at once (so the headers timeout is not what fires), then a byte every 50 ms.
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < body.length && !raw.socket.destroyed) raw.socket.write(body[sent++]);
    }, 50);
    try {
      const closedAt = await raw.closed;
      expect(sent).toBeLessThan(body.length);
      // Node answers 408 when nothing of the response went out yet; a bare close is fine too.
      expect(raw.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
      expect(closedAt).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(closedAt).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    } finally {
      clearInterval(trickle);
    }
  });

  it('never cuts a stream response that runs far longer than the request timeout', async () => {
    // 40 demo tokens, 75 ms apart: about 3 s, three request timeouts.
    const result = await readStream(`${service.url}/api/chat/stream`, {
      body: { query: 'a long answer', maxTokens: 40 },
    });
    expect(result.status).toBe(200);
    expect(endReason(result)).toBe('length');
    expect(result.events.at(-1)?.data).toBe('[DONE]');
    expect(tokenText(result).length).toBeGreaterThan(0);
    expect(result.endedAt).toBeGreaterThan(2 * REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('never cuts a GET stream either, whose request has no body at all', async () => {
    const result = await readStream(
      `${service.url}/api/chat/stream?query=${encodeURIComponent('a long answer')}&maxTokens=40`,
      { method: 'GET' },
    );
    expect(endReason(result)).toBe('length');
    expect(result.endedAt).toBeGreaterThan(2 * REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('keeps an idle connection longer than the headers timeout, closing it after keep-alive', async () => {
    const raw = await client();
    const request = 'GET /health/live HTTP/1.1\r\nHost: gateway\r\n\r\n';
    const responses = (): number => raw.received().split('HTTP/1.1 200 ').length - 1;
    raw.socket.write(request);
    await waitFor(() => responses() === 1, 2_000);
    expect(raw.received()).toContain(`Keep-Alive: timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    // Idle for twice the headers timeout: only the keep-alive timeout may close it now.
    await sleep(2 * HEADERS_TIMEOUT_MS);
    raw.socket.write(request);
    await waitFor(() => responses() === 2, 2_000);
    const answeredAt = performance.now();
    await raw.closed;
    const idleFor = performance.now() - answeredAt;
    expect(idleFor).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 100);
    expect(idleFor).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS + SLACK_MS);
  });
});
