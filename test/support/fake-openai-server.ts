import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { toolCallDeltas, type FakeToolCall } from './fake-tool-calls';

export type { FakeToolCall } from './fake-tool-calls';

/** How the fake upstream answers one chat-completions request. */
export interface FakeScenario {
  /** Content deltas, one chunk each. */
  tokens: string[];
  /** Pause before each token chunk. */
  delayMs?: number;
  /** Respond with this HTTP status and an OpenAI-style error body instead of a stream. */
  status?: number;
  finishReason?: 'stop' | 'length';
  /**
   * Tool calls streamed after the tokens, in OpenAI's `delta.tool_calls` format (`delayMs`
   * before each fragment too); the finish reason is then `tool_calls` unless `finishReason`
   * says otherwise (`length`: the model was cut off inside the arguments).
   */
  toolCalls?: FakeToolCall[];
  /** Destroy the socket after this many tokens. */
  resetAfter?: number;
  /** Send this many tokens, then nothing, never ending the response. */
  stallAfter?: number;
  /** Write every frame in two TCP writes, split inside the frame's first multi-byte character. */
  splitMultibyte?: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number };
  /**
   * Write the first `burst` token frames in one TCP write, with no pause, so the client holds
   * chunks buffered while its consumer handles the first (then `delayMs` applies to the rest).
   */
  burst?: number;
  /** Send everything but `data: [DONE]` (finish and usage included), then keep the response open. */
  holdDone?: boolean;
}

/** What the fake saw of one request. */
export interface RecordedRequest {
  body: ChatCompletionRequest;
  receivedAt: number;
  /** When the client closed the connection before the response ended (an abort). */
  abortedAt?: number;
  /** Resolves with `abortedAt` once the client hangs up mid-response. */
  aborted: Promise<number>;
  finished: boolean;
}

/**
 * A message as the client sent it. `content` is typed as the string it is for conversation
 * messages, but LangChain sends some system prompts (createAgent's `systemPrompt`) as text
 * parts, `[{ type: "text", text }]`: read any message with `messageText`.
 */
export interface ChatCompletionMessage {
  role: string;
  content: string;
  /** On an assistant message that called tools. */
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  /** On a `tool` message: which call it answers. */
  tool_call_id?: string;
}

export interface ChatCompletionRequest {
  model: string;
  /** The tools the client bound, when it bound any. */
  tools?: { type: string; function: { name: string; description?: string } }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  messages: ChatCompletionMessage[];
}

const DEFAULT_SCENARIO: FakeScenario = { tokens: ['Hello', ',', ' world', '!'], delayMs: 5 };

/**
 * An OpenAI-compatible `POST /v1/chat/completions` server speaking the real streaming wire
 * format, so the real `ChatOpenAI` client runs end to end. The scenario is chosen by the content
 * of the last message, so concurrent tests do not interfere.
 */
export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  private readonly scenarios = new Map<string, FakeScenario>();
  private readonly turns = new Map<string, FakeScenario[]>();
  private readonly server: Server;
  private chunkCounter = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Answer requests whose last message is `prompt` with `scenario`. */
  script(prompt: string, scenario: FakeScenario): void {
    this.scenarios.set(prompt, scenario);
  }

  /**
   * Answer a multi-request conversation, such as an agent's, by turn: a request whose last
   * user message is `prompt` and that has n assistant messages after it (the model's earlier
   * turns, e.g. tool calls, each followed by tool results) gets `turns[n]`; the last one repeats.
   * Takes precedence over `script` for such requests.
   */
  scriptTurns(prompt: string, turns: FakeScenario[]): void {
    if (turns.length === 0) throw new Error('scriptTurns needs at least one turn');
    this.turns.set(prompt, turns);
  }

  /** Every request of the conversation whose last user message is `prompt`, in order. */
  conversationFor(prompt: string): RecordedRequest[] {
    return this.requests.filter((request) => lastUserMessage(request.body)?.content === prompt);
  }

  /** The requests whose last message was `prompt`. */
  requestsFor(prompt: string): RecordedRequest[] {
    return this.requests.filter((request) => request.body.messages.at(-1)?.content === prompt);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatCompletionRequest;
    let markAborted: (at: number) => void = () => undefined;
    const record: RecordedRequest = {
      body,
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
    const scenario =
      this.turnFor(body) ??
      this.scenarios.get(body.messages.at(-1)?.content ?? '') ??
      DEFAULT_SCENARIO;
    if (scenario.status) {
      res.writeHead(scenario.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody(scenario.status)));
      record.finished = true;
      return;
    }
    await this.stream(res, body, scenario);
  }

  private turnFor(body: ChatCompletionRequest): FakeScenario | undefined {
    const question = lastUserMessage(body);
    const turns = question && this.turns.get(question.content);
    if (!turns) return undefined;
    const after = body.messages.slice(body.messages.lastIndexOf(question) + 1);
    const turn = after.filter((message) => message.role === 'assistant').length;
    return turns[Math.min(turn, turns.length - 1)];
  }

  private async stream(
    res: ServerResponse,
    body: ChatCompletionRequest,
    scenario: FakeScenario,
  ): Promise<void> {
    res.socket?.setNoDelay(true);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const id = `chatcmpl-fake${++this.chunkCounter}`;
    const withUsage = body.stream_options?.include_usage === true;
    const frame = (payload: object): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_790_000_000, model: body.model, system_fingerprint: null, ...payload, ...(withUsage && !('usage' in payload) ? { usage: null } : {}) })}\n\n`;
    const choice = (delta: object, finish: string | null = null): object => ({
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    const toolCalls = scenario.toolCalls ?? [];
    // A tool-call-only answer opens the message in its first tool-call delta, as OpenAI does.
    const toolCallsOpen = toolCalls.length > 0 && scenario.tokens.length === 0;
    if (!toolCallsOpen) res.write(frame(choice({ role: 'assistant', content: '', refusal: null })));
    const burst = scenario.burst ?? 0;
    if (burst > 0) {
      const frames = scenario.tokens
        .slice(0, burst)
        .map((token) => frame(choice({ content: token })));
      res.write(frames.join(''));
    }
    for (const [index, token] of scenario.tokens.entries()) {
      if (scenario.stallAfter === index) return; // the client's idle timeout must notice
      if (index < burst) continue;
      if (scenario.delayMs) await sleep(scenario.delayMs);
      if (scenario.resetAfter === index) {
        // After the pause, so the tokens before it have left; then an abrupt close mid-body.
        res.socket?.destroy();
        return;
      }
      if (res.destroyed) return;
      await writeFrame(res, frame(choice({ content: token })), scenario.splitMultibyte === true);
    }
    const deltas = toolCallDeltas(toolCalls, toolCallsOpen);
    for (const delta of deltas) {
      if (scenario.delayMs) await sleep(scenario.delayMs);
      if (res.destroyed) return;
      res.write(frame(choice(delta)));
    }
    const finish = scenario.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
    res.write(frame(choice({}, finish)));
    if (withUsage) {
      const usage = scenario.usage ?? {
        prompt_tokens: 9,
        completion_tokens: scenario.tokens.length + deltas.length,
      };
      res.write(
        frame({
          choices: [],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      );
    }
    if (scenario.holdDone) return; // the client is left reading, with everything else parsed
    res.end('data: [DONE]\n\n');
  }
}

async function writeFrame(res: ServerResponse, text: string, split: boolean): Promise<void> {
  if (!split) {
    res.write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  const firstMultibyte = bytes.findIndex((byte) => byte >= 0x80);
  const cut = firstMultibyte >= 0 ? firstMultibyte + 1 : Math.floor(bytes.length / 2);
  res.write(bytes.subarray(0, cut));
  // A pause long enough for the two halves to leave as separate TCP segments.
  await sleep(5);
  res.write(bytes.subarray(cut));
}

/** A message's text, whether it was sent as a string or as text parts. */
export function messageText(message: ChatCompletionMessage | undefined): string {
  const content: unknown = message?.content;
  if (typeof content === 'string') return content;
  return Array.isArray(content)
    ? content
        .map((part) => {
          const text = (part as { text?: unknown }).text;
          return typeof text === 'string' ? text : '';
        })
        .join('')
    : '';
}

function lastUserMessage(body: ChatCompletionRequest): ChatCompletionMessage | undefined {
  return body.messages.findLast((message) => message.role === 'user');
}

function errorBody(status: number): object {
  return {
    error: {
      message: `fake upstream failure ${status}; secret-upstream-detail sk-should-not-leak`,
      type: status === 429 ? 'rate_limit_exceeded' : 'server_error',
      param: null,
      code: null,
    },
  };
}
