import { connect, type Socket } from 'node:net';

export interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Sent as JSON with Content-Type and Content-Length. */
  body?: unknown;
}

export interface RawClientOptions {
  /**
   * A client that never reads: its socket is paused before anything arrives, so the server's
   * writes fill the kernel buffers and then block, as with a browser tab that stopped reading.
   */
  neverRead?: boolean;
}

/** One raw HTTP/1.1 connection: what the server sent, and when it closed the socket. */
export interface RawHttpClient {
  socket: Socket;
  /** Everything received so far (latin1, so byte counts are string lengths). */
  received(): string;
  /** ms since connect when `text` first appeared in what was received. */
  seenAt(text: string): number | undefined;
  /** Resolves with ms since connect when the server closes (or resets) the connection. */
  closed: Promise<number>;
  isClosed(): boolean;
  send(request: RawRequest): void;
}

export function formatRawRequest(request: RawRequest): string {
  const body = request.body === undefined ? '' : JSON.stringify(request.body);
  const headers: Record<string, string> = { host: 'gateway', ...request.headers };
  if (request.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${request.method} ${request.path} HTTP/1.1\r\n${lines.join('')}\r\n${body}`;
}

/** Opens a raw TCP connection to the app, for what fetch hides: socket lifetime and stalls. */
export function openRawHttpClient(
  port: number,
  options: RawClientOptions = {},
): Promise<RawHttpClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    const since = (): number => performance.now() - started;
    let received = '';
    let isClosed = false;
    /** Where each chunk ended in `received`, and when it arrived. */
    const arrivals: { end: number; at: number }[] = [];
    if (options.neverRead) socket.pause();
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      arrivals.push({ end: received.length, at: since() });
    });
    // A reset is as closed as a FIN.
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) =>
      socket.once('close', () => {
        isClosed = true;
        done(since());
      }),
    );
    const seenAt = (text: string): number | undefined => {
      const index = received.indexOf(text);
      if (index < 0) return undefined;
      return arrivals.find((arrival) => arrival.end >= index + text.length)?.at;
    };
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => received,
        seenAt,
        closed,
        isClosed: () => isClosed,
        send: (request) => socket.write(formatRawRequest(request)),
      }),
    );
    socket.once('error', reject);
  });
}
