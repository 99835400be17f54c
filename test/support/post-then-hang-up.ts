import { connect } from 'node:net';

export interface HangUpPost {
  port: number;
  path: string;
  body: unknown;
  headers: Record<string, string>;
  /** How long after the request left the client the socket is destroyed (0: at once). */
  hangUpAfterMs: number;
}

/**
 * A client that sends a whole POST over a raw socket and leaves before any answer: the socket is
 * destroyed `hangUpAfterMs` after the request was handed to the kernel. fetch cannot leave that
 * early or that precisely. Resolves, once the socket is closed, with when the client left.
 */
export function postThenHangUp(options: HangUpPost): Promise<number> {
  const body = JSON.stringify(options.body);
  const head = [
    `POST ${options.path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  return new Promise((resolve) => {
    let leftAt = 0;
    const leave = (): void => {
      leftAt = Date.now();
      socket.destroy();
    };
    const socket = connect(options.port, '127.0.0.1', () => {
      socket.write(`${head}\r\n\r\n${body}`, () => {
        if (options.hangUpAfterMs === 0) leave();
        else setTimeout(leave, options.hangUpAfterMs);
      });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(leftAt || Date.now()));
  });
}
