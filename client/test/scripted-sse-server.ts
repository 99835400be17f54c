import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the scripted server saw of one request. */
export interface ScriptedRequest {
  method: string;
  url: string;
  /** Set when the client hung up before the response ended. */
  closedByClient: boolean;
}

/**
 * A stand-in for the service that answers both the POST and every re-attach GET with the same
 * SSE text and then keeps the response open, as a live stream would. It speaks whatever the test
 * scripts, so a client can be shown bytes the real service never sends (broken JSON, wrong shapes).
 */
export class ScriptedSseServer {
  readonly requests: ScriptedRequest[] = [];
  private readonly server: Server;
  private readonly hangUps: (() => void)[] = [];

  constructor(private readonly script: string) {
    this.server = createServer((req, res) => this.answer(req, res));
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The re-attach requests (`GET /api/chat/streams/{id}`) received so far. */
  attaches(): ScriptedRequest[] {
    return this.requests.filter(
      (request) => request.method === 'GET' && request.url.startsWith('/api/chat/streams/'),
    );
  }

  /** Resolves once the client has closed a connection whose response was still open. */
  hungUp(): Promise<void> {
    if (this.requests.some((request) => request.closedByClient)) return Promise.resolve();
    return new Promise((resolve) => this.hangUps.push(resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const request: ScriptedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      closedByClient: false,
    };
    this.requests.push(request);
    req.resume(); // the body does not matter; read it so the request completes
    res.on('close', () => {
      if (res.writableFinished) return;
      request.closedByClient = true;
      for (const resolve of this.hangUps.splice(0)) resolve();
    });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Request-Id': 'scripted-1',
    });
    res.write(this.script); // and no end: the stream looks live
  }
}
