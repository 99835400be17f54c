import { Agent, request } from 'node:http';

// No keep-alive: every stream opens its own connection, as browsers' long SSE streams do.
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
const TOKEN_MARK = '"content":"';

export interface StreamOutcome {
  status: number;
  tokens: number;
}

/**
 * Posts one native stream request and counts its token frames (non-empty `"content"`); resolves
 * at the end of the response. `onFirstToken` tells the caller the stream is open end to end.
 */
export function openStream(
  baseUrl: string,
  query: string,
  onFirstToken?: () => void,
  requestId?: string,
  onHeaders?: () => void,
): Promise<StreamOutcome> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (requestId) headers['x-request-id'] = requestId;
  const body = JSON.stringify({ query });
  return read(`${baseUrl}/api/chat/stream`, 'POST', headers, body, onFirstToken, onHeaders);
}

/** A second reader of a running stream, attached through the log: `GET /api/chat/streams/{id}`. */
export function followStream(baseUrl: string, requestId: string): Promise<StreamOutcome> {
  return read(`${baseUrl}/api/chat/streams/${requestId}`, 'GET', {}, undefined);
}

function read(
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body: string | undefined,
  onFirstToken?: () => void,
  onHeaders?: () => void,
): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const outcome: StreamOutcome = { status: 0, tokens: 0 };
    const req = request(url, { method, agent, headers }, (res) => {
      outcome.status = res.statusCode ?? 0;
      onHeaders?.();
      res.setEncoding('utf8');
      // A frame may be split across chunks anywhere, even inside the mark: carry the tail.
      let carry = '';
      res.on('data', (chunk: string) => {
        const text = carry + chunk;
        let from = 0;
        let index = text.indexOf(TOKEN_MARK);
        while (index !== -1 && index + TOKEN_MARK.length < text.length) {
          // A non-empty content (not '"' right after the mark) is a token.
          if (text.charCodeAt(index + TOKEN_MARK.length) !== 34) {
            if (outcome.tokens === 0) onFirstToken?.();
            outcome.tokens++;
          }
          from = index + TOKEN_MARK.length;
          index = text.indexOf(TOKEN_MARK, from);
        }
        const keep = index !== -1 ? index : Math.max(from, text.length - TOKEN_MARK.length);
        carry = text.slice(keep);
      });
      res.on('end', () => resolve(outcome));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(180_000, () => req.destroy(new Error('stream timed out')));
    req.end(body);
  });
}

/** Runs `total` streams with at most `concurrency` open at once; returns every outcome. */
export async function runStreams(
  baseUrl: string,
  query: string,
  total: number,
  concurrency: number,
): Promise<StreamOutcome[]> {
  const outcomes: StreamOutcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      outcomes.push(await openStream(baseUrl, query));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return outcomes;
}

/** Throws unless every stream answered 200 with exactly `tokens` tokens. */
export function assertComplete(what: string, outcomes: StreamOutcome[], tokens: number): void {
  const bad = outcomes.filter((outcome) => outcome.status !== 200 || outcome.tokens !== tokens);
  if (bad.length > 0) {
    const first = bad[0];
    throw new Error(
      `${what}: ${bad.length} of ${outcomes.length} streams incomplete (e.g. status ${first.status}, ${first.tokens}/${tokens} tokens)`,
    );
  }
}
