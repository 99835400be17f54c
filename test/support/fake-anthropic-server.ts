import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the fake upstream answers one Messages request. */
export interface FakeAnthropicScenario {
  /** Text deltas, one `content_block_delta` event each. */
  tokens: string[];
  /** Pause before each delta. */
  delayMs?: number;
  /** Respond with this HTTP status and Anthropic's error JSON instead of a stream. */
  status?: number;
  /** `message_delta.delta.stop_reason`; `end_turn` unless given. */
  stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence';
  /** Destroy the socket after this many deltas. */
  resetAfter?: number;
  /** Send this many deltas, then nothing, never ending the response. */
  stallAfter?: number;
  /** After this many deltas, send `event: error` (overloaded_error) and end the response. */
  errorAfter?: number;
  /** Reported in `message_start`; defaults to 12. */
  inputTokens?: number;
}

/** What the fake saw of one request. */
export interface RecordedAnthropicRequest {
  body: MessagesRequest;
  headers: IncomingHttpHeaders;
  path: string;
  receivedAt: number;
  /** When the client closed the connection before the response ended (an abort). */
  abortedAt?: number;
  /** Resolves with `abortedAt` once the client hangs up mid-response. */
  aborted: Promise<number>;
  finished: boolean;
}

type TextBlock = { type: string; text?: string };

interface MessagesRequest {
  model: string;
  max_tokens: number;
  stream?: boolean;
  temperature?: number;
  system?: string | TextBlock[];
  messages: { role: string; content: string | TextBlock[] }[];
}

/** The answer to any prompt no test scripted. */
const DEFAULT_SCENARIO: FakeAnthropicScenario = {
  tokens: ['Hello', ',', ' world', '!'],
  delayMs: 5,
};

/** The `error.type` Anthropic's API uses for each HTTP status. */
const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** A marker in every error message the fake sends, so tests can check it never leaks. */
export const ANTHROPIC_SECRET_DETAIL = 'secret-upstream-detail sk-ant-should-not-leak';

/**
 * A fake of Anthropic's `POST /v1/messages` with `stream: true`, speaking the wire format the
 * official `@anthropic-ai/sdk` parses (named SSE events, `ping`, `event: error`), so the real
 * `ChatAnthropic` runs end to end. The scenario is chosen by the text of the last message, so
 * concurrent tests do not interfere. Requests without the right `x-api-key` get a 401 and
 * those without `anthropic-version` a 400, as the real API answers.
 */
export class FakeAnthropicServer {
  readonly requests: RecordedAnthropicRequest[] = [];
  private readonly scenarios = new Map<string, FakeAnthropicScenario>();
  private readonly server: Server;
  private messageCounter = 0;

  constructor(private readonly options: { apiKey: string }) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Returns the base URL for `ANTHROPIC_BASE_URL` (the SDK appends `/v1/messages`). */
  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Answer requests whose last message is `prompt` with `scenario`. */
  script(prompt: string, scenario: FakeAnthropicScenario): void {
    this.scenarios.set(prompt, scenario);
  }

  /** The requests whose last message was `prompt`. */
  requestsFor(prompt: string): RecordedAnthropicRequest[] {
    return this.requests.filter((request) => lastMessageText(request.body) === prompt);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as MessagesRequest;
    let markAborted: (at: number) => void = () => undefined;
    const record: RecordedAnthropicRequest = {
      body,
      headers: req.headers,
      path: req.url ?? '',
      receivedAt: Date.now(),
      finished: false,
      aborted: new Promise((resolve) => (markAborted = resolve)),
    };
    this.requests.push(record);
    // On 'finish', not right after end(): from Node 24 writableFinished turns true only then.
    res.once('finish', () => (record.finished = true));
    res.on('close', () => {
      if (res.writableFinished) return;
      record.abortedAt = Date.now();
      markAborted(record.abortedAt);
    });
    const refusal = this.refusalFor(req);
    const scenario = this.scenarios.get(lastMessageText(body)) ?? DEFAULT_SCENARIO;
    const status = refusal ?? scenario.status;
    if (status !== undefined) {
      sendError(res, status);
      record.finished = true;
      return;
    }
    await this.stream(res, body, scenario);
  }

  /** The status the real API would refuse this request with, before looking at the prompt. */
  private refusalFor(req: IncomingMessage): number | undefined {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/messages') return 404;
    if (req.headers['x-api-key'] !== this.options.apiKey) return 401;
    if (typeof req.headers['anthropic-version'] !== 'string') return 400;
    return undefined;
  }

  private async stream(
    res: ServerResponse,
    body: MessagesRequest,
    scenario: FakeAnthropicScenario,
  ): Promise<void> {
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': `req_fake${this.messageCounter + 1}`,
    });
    const send = (event: string, data: object): boolean =>
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    send('message_start', {
      message: {
        id: `msg_fake${++this.messageCounter}`,
        type: 'message',
        role: 'assistant',
        content: [],
        model: body.model,
        stop_reason: null,
        stop_sequence: null,
        // As the real API does: a first output token is counted already; message_delta's
        // output_tokens later is the cumulative total, not an increment.
        usage: {
          input_tokens: scenario.inputTokens ?? 12,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 1,
        },
      },
    });
    send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    send('ping', {});
    for (const [index, token] of scenario.tokens.entries()) {
      if (scenario.stallAfter === index) return; // the client's idle timeout must notice
      if (scenario.delayMs) await sleep(scenario.delayMs);
      if (res.destroyed) return;
      if (scenario.resetAfter === index) {
        // After the pause, so the deltas before it have left; then an abrupt close mid-body.
        res.socket?.destroy();
        return;
      }
      if (scenario.errorAfter === index) {
        send('error', {
          error: { type: 'overloaded_error', message: `Overloaded; ${ANTHROPIC_SECRET_DETAIL}` },
        });
        res.end();
        return;
      }
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: token } });
    }
    send('content_block_stop', { index: 0 });
    send('message_delta', {
      delta: { stop_reason: scenario.stopReason ?? 'end_turn', stop_sequence: null },
      usage: { output_tokens: scenario.tokens.length },
    });
    send('message_stop', {});
    res.end();
  }
}

function sendError(res: ServerResponse, status: number): void {
  const type = ERROR_TYPES[status] ?? 'api_error';
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake_error' });
  res.end(
    JSON.stringify({
      type: 'error',
      error: { type, message: `fake ${type} (${status}); ${ANTHROPIC_SECRET_DETAIL}` },
    }),
  );
}

/** The last message's text, whether its content is a string or a list of text blocks. */
function lastMessageText(body: MessagesRequest): string {
  const content = body.messages.at(-1)?.content ?? '';
  if (typeof content === 'string') return content;
  return content.map((block) => block.text ?? '').join('');
}
