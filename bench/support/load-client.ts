import { Agent, request } from 'node:http';

/** One stream as the load generator saw it. */
export interface StreamTiming {
  status: number;
  /** ms from sending the request to the response headers (time to first byte) */
  headersMs: number;
  tokens: number;
  /** ms from sending the request to the first token frame */
  firstTokenMs: number;
  /** arrival time (ms, performance.now) of each token frame, when recorded */
  tokenTimes: number[];
  endedMs: number;
}

export interface StreamRequest {
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Sent as is instead of `body` (with its own content-type in `headers`), e.g. a form. */
  rawBody?: string;
  headers?: Record<string, string>;
  recordTimes?: boolean;
  /** Called once the response headers arrived. */
  onHeaders?: () => void;
  /** Called once with the first token, e.g. to send a cancel. */
  onFirstToken?: () => void;
  /** Fails the stream if it has not ended by then, so a stuck relay cannot hang the bench. */
  timeoutMs?: number;
  /**
   * What starts a token frame, up to the opening quote of its text (default `"content":"`).
   * The gateway's agent streams need `data: {"content":"`: its tool_result events carry a
   * `"content"` too, and they are not answer tokens.
   */
  tokenMark?: string;
}

// No keep-alive: a pooled socket the relay is just closing (Express: after 5 s idle) would reset
// a stream now and then, which measures the race, not the relay. Every relay pays the same
// connection setup per stream.
const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
/** A token frame carries non-empty content (the upstream's role frame has `"content":""`). */
const TOKEN_MARK = '"content":"';

/**
 * A deliberately lean SSE reader, so the load generator stays cheap next to the relay under test:
 * it counts token frames by their non-empty `"content"` and timestamps them, without full parsing.
 */
export function runStream(options: StreamRequest): Promise<StreamTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const body =
      options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const timing: StreamTiming = {
      status: 0,
      headersMs: 0,
      tokens: 0,
      firstTokenMs: -1,
      tokenTimes: [],
      endedMs: 0,
    };
    const req = request(
      options.url,
      {
        method: options.method ?? 'POST',
        agent,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        timing.status = res.statusCode ?? 0;
        timing.headersMs = performance.now() - started;
        options.onHeaders?.();
        res.setEncoding('utf8');
        const mark = options.tokenMark ?? TOKEN_MARK;
        res.on('data', (chunk: string) => {
          const now = performance.now();
          let index = chunk.indexOf(mark);
          while (index !== -1) {
            const empty = chunk.charCodeAt(index + mark.length) === 34; // '"'
            index = chunk.indexOf(mark, index + mark.length);
            if (empty) continue;
            if (timing.tokens === 0) {
              timing.firstTokenMs = now - started;
              options.onFirstToken?.();
            }
            timing.tokens++;
            if (options.recordTimes) timing.tokenTimes.push(now);
          }
        });
        res.on('end', () => {
          timing.endedMs = performance.now() - started;
          resolve(timing);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(options.timeoutMs ?? 120_000, () => req.destroy(new Error('stream timed out')));
    req.end(body);
  });
}

export function sendDelete(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'DELETE', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
