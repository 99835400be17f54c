import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import type { FuzzCase } from './fuzz-case';

/** What came back for one generated request. */
export interface FuzzAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The answer to a request the client abandoned itself (`abortAfterBytes`). */
export const ABORTED: FuzzAnswer = { status: 0, headers: {}, body: '' };

/** How long a half-sent upload stays open before the client drops it. */
const ABORT_DELAY_MS = 20;

/**
 * Sends one case over a raw `http.request` (no client library to clean the input up) and reads
 * the whole answer; rejects on a transport error or when the answer takes over `timeoutMs`.
 */
export function sendFuzzRequest(options: {
  port: number;
  agent: Agent;
  fuzzCase: FuzzCase;
  timeoutMs: number;
}): Promise<FuzzAnswer> {
  const { port, agent, fuzzCase, timeoutMs } = options;
  const headers: Record<string, string | string[] | number> = { ...fuzzCase.headers };
  if (fuzzCase.body) {
    // Say so explicitly: for DELETE (and GET, HEAD, OPTIONS) Node would otherwise send the body
    // with no framing at all, and the server would rightly read it as the next request.
    if (fuzzCase.chunked) headers['transfer-encoding'] = 'chunked';
    else headers['content-length'] = fuzzCase.body.length;
  }
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, agent, method: fuzzCase.method, path: fuzzCase.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.setTimeout(timeoutMs, () =>
      outgoing.destroy(new Error(`no complete answer within ${timeoutMs} ms`)),
    );
    const { abortAfterBytes, body } = fuzzCase;
    if (abortAfterBytes === undefined || !body) {
      outgoing.on('error', reject);
      outgoing.end(body);
      return;
    }
    // A client that goes away halfway through its upload: whatever happens, it gets no answer.
    outgoing.on('error', () => resolve(ABORTED));
    outgoing.write(body.subarray(0, abortAfterBytes));
    setTimeout(() => {
      outgoing.destroy();
      resolve(ABORTED);
    }, ABORT_DELAY_MS);
  });
}
