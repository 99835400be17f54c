import OpenAI, { type APIError, type RateLimitError } from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { jsonToolCall } from './support/fake-tool-calls';
import { openAiEnv } from './support/openai-env';
import {
  chunkText,
  collectChunks,
  contentChunks,
  OpenAISdkProbe,
  rejectionOf,
  type TimedChunk,
} from './support/openai-sdk-probe';
import { startNginx, type RunningNginx } from './support/nginx';
import { RedisServer } from './support/redis-server';
import { endReason, readStream, tokenText } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { sleep, waitFor, within } from './support/wait-for';

const KEY = 'openai-view-key-7d21';
const OTHER_KEY = 'openai-view-key-other-0b9e';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BODY_LIMIT_BYTES = 64 * 1024;
/** Slow enough that a client can act mid-stream, long enough that it never ends on its own first. */
const SLOW = { tokens: Array.from({ length: 60 }, (_, index) => `w${index} `), delayMs: 50 };

type StreamParams = ChatCompletionCreateParamsStreaming & { pipeline?: string };
type WholeParams = ChatCompletionCreateParamsNonStreaming & { pipeline?: string };

const user = (content: string) => [{ role: 'user' as const, content }];
const streamed = (prompt: string, extra: Partial<StreamParams> = {}): StreamParams => ({
  model: 'gpt-fake',
  messages: user(prompt),
  stream: true,
  ...extra,
});
const whole = (prompt: string, extra: Partial<WholeParams> = {}): WholeParams => ({
  model: 'gpt-fake',
  messages: user(prompt),
  ...extra,
});

function firstChoice(chunk: ChatCompletionChunk): ChatCompletionChunk.Choice {
  const choice = chunk.choices[0];
  if (!choice) throw new Error(`chunk without a choice: ${JSON.stringify(chunk)}`);
  return choice;
}

function expectOneCompletion(chunks: readonly TimedChunk[], requestId: string): void {
  for (const { chunk } of chunks) {
    expect(chunk).toMatchObject({
      id: `chatcmpl-${requestId}`,
      object: 'chat.completion.chunk',
      created: chunks[0].chunk.created,
    });
  }
  expect(Math.abs(chunks[0].chunk.created - Date.now() / 1000)).toBeLessThan(60);
  const withRole = chunks.filter(({ chunk }) => chunk.choices[0]?.delta.role !== undefined);
  expect(withRole).toEqual([chunks[0]]);
  expect(firstChoice(chunks[0].chunk).delta.role).toBe('assistant');
}

const MODES = [
  { mode: 'memory log', redis: false },
  { mode: 'Redis log', redis: true },
];

describe.each(MODES)(
  'POST /v1/chat/completions with the official openai client ($mode)',
  ({ redis }) => {
    const upstream = new FakeOpenAIServer();
    let redisServer: RedisServer | undefined;
    /** The real ChatOpenAI on the fake upstream, API_KEYS, allowed models, a short heartbeat. */
    let service: RunningApp;
    /** The offline demo model, no keys, no model list, one browser origin. */
    let demo: RunningApp;
    /** One stream per key at a time. */
    let limited: RunningApp;

    beforeAll(async () => {
      redisServer = redis ? await RedisServer.start() : undefined;
      const shared: Record<string, string> = redisServer ? { REDIS_URL: redisServer.url } : {};
      const upstreamUrl = await upstream.start();
      service = await startApp(
        openAiEnv(upstreamUrl, {
          ...shared,
          API_KEYS: `${KEY},${OTHER_KEY}`,
          LLM_ALLOWED_MODELS: 'gpt-fake,gpt-fake-large',
          BODY_LIMIT: String(BODY_LIMIT_BYTES),
          HEARTBEAT_MS: '100',
        }),
      );
      demo = await startApp({
        ...shared,
        LLM_PROVIDER: 'demo',
        DEMO_TOKEN_DELAY_MS: '5',
        CORS_ORIGINS: 'http://localhost:5173',
      });
      limited = await startApp(
        openAiEnv(upstreamUrl, { ...shared, API_KEYS: KEY, MAX_STREAMS_PER_KEY: '1' }),
      );
    });

    afterAll(async () => {
      await service?.close();
      await demo?.close();
      await limited?.close();
      await upstream.close();
      await redisServer?.stop();
    });

    /** The client as an application builds it; no retries unless a test is about them. */
    const sdk = (options: ConstructorParameters<typeof OpenAISdkProbe>[1] = {}): OpenAISdkProbe =>
      new OpenAISdkProbe(service.url, { apiKey: KEY, maxRetries: 0, ...options });

    /** The stream as the log has it, through the native attach route. */
    const attach = (id: string, baseUrl = service.url, key = KEY) =>
      readStream(`${baseUrl}/api/chat/streams/${id}`, {
        method: 'GET',
        headers: { authorization: `Bearer ${key}` },
      });

    describe('stream: true', () => {
      it('chunks arrive as the upstream sends them: role first, one id and created, finish, usage last', async () => {
        const prompt = 'Tell me a very short story.';
        upstream.script(prompt, {
          tokens: ['Once', ' upon', ' a', ' time', '.'],
          delayMs: 250,
          usage: { prompt_tokens: 11, completion_tokens: 5 },
        });
        const probe = sdk();
        const startedAt = performance.now();
        const { data: stream, response } = await probe.client.chat.completions
          .create(streamed(prompt, { stream_options: { include_usage: true } }))
          .withResponse();
        const upstreamDoneAtFirstToken: boolean[] = [];
        const chunks = await collectChunks(stream, {
          startedAt,
          onChunk: (seen) => {
            if (contentChunks(seen).length === 1 && upstreamDoneAtFirstToken.length === 0) {
              upstreamDoneAtFirstToken.push(upstream.requestsFor(prompt)[0]?.finished ?? true);
            }
          },
        });

        const requestId = response.headers.get('x-request-id') ?? '';
        expect(requestId).toMatch(UUID_V4);
        expect(chunkText(chunks)).toBe('Once upon a time.');
        expectOneCompletion(chunks, requestId);
        expect(chunks[0].chunk.model).toBe('gpt-fake');
        // Each token left the gateway when the upstream sent it, not when the answer was complete.
        expect(upstreamDoneAtFirstToken).toEqual([false]);
        const tokenTimes = contentChunks(chunks).map(({ at }) => at);
        expect(tokenTimes).toHaveLength(5);
        for (let index = 1; index < tokenTimes.length; index++) {
          expect(tokenTimes[index] - tokenTimes[index - 1]).toBeGreaterThan(150);
        }
        const finishes = chunks.filter(({ chunk }) => chunk.choices[0]?.finish_reason);
        expect(finishes).toHaveLength(1);
        expect(chunks.at(-2)?.chunk.choices).toEqual([
          { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' },
        ]);
        expect(chunks.at(-1)?.chunk).toMatchObject({
          choices: [],
          usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 },
        });
        for (const { chunk } of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
      });

      it('without include_usage no chunk has usage; a cut-off answer finishes with length', async () => {
        const prompt = 'Count up, but stop early.';
        upstream.script(prompt, { tokens: ['one', ' two', ' three'], finishReason: 'length' });

        const chunks = await collectChunks(
          await sdk().client.chat.completions.create(streamed(prompt, { max_tokens: 3 })),
        );

        expect(chunkText(chunks)).toBe('one two three');
        for (const { chunk } of chunks) expect(chunk).not.toHaveProperty('usage');
        expect(chunks.at(-1)?.chunk.choices).toEqual([
          { index: 0, delta: {}, logprobs: null, finish_reason: 'length' },
        ]);
        const [call] = upstream.requestsFor(prompt);
        expect(call.body.max_tokens ?? call.body.max_completion_tokens).toBe(3);
      });

      it('on the wire: only data lines and ping comments, no id:, event: or retry: lines, [DONE] last', async () => {
        const prompt = 'Say hello slowly.';
        upstream.script(prompt, { tokens: ['Hel', 'lo', '!'], delayMs: 300 });

        const result = await readStream(`${service.url}/v1/chat/completions`, {
          body: { ...streamed(prompt), stream_options: { include_usage: true } },
          headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'raw-bytes-1' },
        });

        expect(result.status).toBe(200);
        expect(result.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
        expect(result.headers.get('cache-control')).toBe('no-cache, no-transform');
        expect(result.headers.get('x-request-id')).toBe('raw-bytes-1');
        expect(result.raw).not.toMatch(/^(id|event|retry):/m);
        const blocks = result.raw.split('\n\n');
        expect(blocks.pop()).toBe('');
        expect(blocks.at(-1)).toBe('data: [DONE]');
        for (const block of blocks) expect(block).toMatch(/^(data: [^\n]+|: ping)$/);
        // The heartbeat ran between tokens, and it is a comment an SSE client skips.
        expect(result.comments.length).toBeGreaterThan(0);
        for (const event of result.events) {
          expect(event.id).toBeUndefined();
          expect(event.event).toBeUndefined();
        }
        const payloads = result.events
          .slice(0, -1)
          .map((event) => JSON.parse(event.data) as ChatCompletionChunk);
        expect(payloads.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
          'Hello!',
        );
        expect(new Set(payloads.map((chunk) => chunk.id))).toEqual(
          new Set(['chatcmpl-raw-bytes-1']),
        );
      });

      it('an upstream failure after the headers is a data: {"error"} frame the client throws', async () => {
        const prompt = 'Fail while streaming.';
        upstream.script(prompt, {
          tokens: ['Partial', ' answer', ' then', ' gone'],
          delayMs: 30,
          resetAfter: 2,
        });

        const seen: TimedChunk[] = [];
        const error = await rejectionOf(
          collectChunks(await sdk().client.chat.completions.create(streamed(prompt)), {
            onChunk: (chunks) => void seen.splice(0, seen.length, ...chunks),
          }),
        );

        expect(chunkText(seen)).toBe('Partial answer');
        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect(error).toMatchObject({
          status: undefined,
          type: 'server_error',
          code: 'upstream_error',
        });
        expect((error as Error).message).not.toMatch(/sk-|secret|stack/i);
      });
    });

    describe('stream: false', () => {
      it('one chat.completion with the whole answer, usage and finish_reason, after the generation', async () => {
        const prompt = 'Answer in one go.';
        upstream.script(prompt, {
          tokens: ['All', ' at', ' once', '.'],
          delayMs: 100,
          usage: { prompt_tokens: 7, completion_tokens: 4 },
        });
        const probe = sdk();

        const { data: completion, response } = await probe.client.chat.completions
          .create(whole(prompt, { temperature: 0.2 }))
          .withResponse();

        const requestId = response.headers.get('x-request-id') ?? '';
        expect(requestId).toMatch(UUID_V4);
        // The client reads the header into the result, as it does with OpenAI's own ids.
        expect((completion as { _request_id?: string })._request_id).toBe(requestId);
        expect(completion).toMatchObject({
          id: `chatcmpl-${requestId}`,
          object: 'chat.completion',
          model: 'gpt-fake',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'All at once.' },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
        });
        expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(probe.attempts[0].answeredAt ?? 0).toBeGreaterThan(350);
        expect(upstream.requestsFor(prompt)[0].body.temperature).toBe(0.2);
      });

      it('an answer cut at max_completion_tokens finishes with length', async () => {
        const prompt = 'Answer at length.';
        upstream.script(prompt, { tokens: ['a', 'b'], finishReason: 'length' });

        const completion = await sdk().client.chat.completions.create(
          whole(prompt, { max_completion_tokens: 2 }),
        );

        expect(completion.choices[0]).toMatchObject({
          message: { content: 'ab' },
          finish_reason: 'length',
        });
      });

      it.each([
        {
          upstreamStatus: 500,
          status: 502,
          errorClass: OpenAI.InternalServerError,
          type: 'server_error',
          code: 'upstream_error',
          attempts: 3,
        },
        {
          upstreamStatus: 429,
          status: 429,
          errorClass: OpenAI.RateLimitError,
          type: 'rate_limit_exceeded',
          code: 'upstream_rate_limited',
          attempts: 3,
        },
        {
          upstreamStatus: 401,
          status: 502,
          errorClass: OpenAI.InternalServerError,
          type: 'server_error',
          code: 'upstream_auth',
          attempts: 1,
        },
        {
          upstreamStatus: 400,
          status: 502,
          errorClass: OpenAI.InternalServerError,
          type: 'server_error',
          code: 'upstream_error',
          attempts: 1,
        },
      ])(
        'an upstream $upstreamStatus is a $status $type; the default client makes $attempts attempt(s)',
        async ({ upstreamStatus, status, errorClass, type, code, attempts }) => {
          const prompt = `Upstream answers ${upstreamStatus}.`;
          upstream.script(prompt, { tokens: [], status: upstreamStatus });
          const probe = sdk({ maxRetries: 2 });

          const error = await rejectionOf(probe.client.chat.completions.create(whole(prompt)));

          expect(error).toBeInstanceOf(errorClass);
          expect(error).toMatchObject({ status, type, code, param: null });
          expect((error as Error).message).not.toMatch(/sk-|secret/);
          // Retryable failures are retried as new generations; a retry could not fix the others.
          expect(probe.attempts).toHaveLength(attempts);
          expect(upstream.requestsFor(prompt)).toHaveLength(attempts);
        },
      );
    });

    describe('tool calls (pipeline: "agent", an extra body field)', () => {
      it('demo model: reasoning, then delta.tool_calls the client accumulates, then the answer', async () => {
        const probe = new OpenAISdkProbe(demo.url, { maxRetries: 0 });
        const params: StreamParams = {
          ...streamed('What is 6*7?'),
          model: 'demo-1',
          pipeline: 'agent',
        };
        const runner = probe.client.chat.completions.stream(params);
        const chunks = await collectChunks(runner);
        const completion = await runner.finalChatCompletion();

        const deltas = chunks.map(
          ({ chunk }) => firstChoice(chunk).delta as Record<string, unknown>,
        );
        const reasoningAt = deltas.findIndex(
          (delta) => typeof delta.reasoning_content === 'string',
        );
        const toolCallAt = deltas.findIndex((delta) => delta.tool_calls !== undefined);
        const answerAt = deltas.findIndex(
          (delta) => typeof delta.content === 'string' && delta.content.includes('42'),
        );
        expect(0).toBeLessThan(reasoningAt);
        expect(reasoningAt).toBeLessThan(toolCallAt);
        expect(toolCallAt).toBeLessThan(answerAt);
        expect(deltas.filter((delta) => delta.tool_calls !== undefined)).toHaveLength(1);
        const [sent] = firstChoice(chunks[toolCallAt].chunk).delta.tool_calls ?? [];
        expect(sent).toMatchObject({
          index: 0,
          id: expect.stringMatching(/^\S+$/) as string,
          type: 'function',
          function: { name: 'calculator' },
        });
        const [call] = completion.choices[0].message.tool_calls ?? [];
        // The client makes up an id for a call that came without one: it must be the one sent.
        expect(call).toMatchObject({ id: sent.id, type: 'function' });
        if (call.type !== 'function') throw new Error('not a function call');
        expect(JSON.parse(call.function.arguments)).toEqual({ expression: '6*7' });
        expect(completion.choices[0].message.content).toContain('42');
        expect(completion.choices[0].finish_reason).toBe('stop');
      });

      it('ChatOpenAI on scripted tool turns: the call as the upstream made it, then the answer as it comes', async () => {
        const question = 'What is 17 * 23 via the OpenAI view?';
        upstream.scriptTurns(question, [
          {
            tokens: [],
            toolCalls: [jsonToolCall('call_calc_17x23', 'calculator', { expression: '17 * 23' })],
            usage: { prompt_tokens: 120, completion_tokens: 18 },
          },
          {
            tokens: ['17 × 23 ', 'is ', '391.'],
            delayMs: 200,
            usage: { prompt_tokens: 150, completion_tokens: 6 },
          },
        ]);
        const params: StreamParams = {
          ...streamed(question),
          stream_options: { include_usage: true },
          pipeline: 'agent',
        };
        const runner = sdk().client.chat.completions.stream(params);
        const chunks = await collectChunks(runner);
        const completion = await runner.finalChatCompletion();

        const toolChunks = chunks.filter(({ chunk }) => chunk.choices[0]?.delta.tool_calls);
        expect(toolChunks.map(({ chunk }) => firstChoice(chunk).delta.tool_calls)).toEqual([
          [
            {
              index: 0,
              id: 'call_calc_17x23',
              type: 'function',
              function: { name: 'calculator', arguments: '{"expression":"17 * 23"}' },
            },
          ],
        ]);
        const answer = contentChunks(chunks);
        expect(answer.map(({ chunk }) => firstChoice(chunk).delta.content)).toEqual([
          '17 × 23 ',
          'is ',
          '391.',
        ]);
        // The call is shown while the answer is still being written.
        expect(answer[0].at - toolChunks[0].at).toBeGreaterThan(120);
        expect(completion.choices[0]).toMatchObject({
          finish_reason: 'stop',
          message: {
            role: 'assistant',
            content: '17 × 23 is 391.',
            tool_calls: [
              {
                id: 'call_calc_17x23',
                type: 'function',
                function: { name: 'calculator', arguments: '{"expression":"17 * 23"}' },
              },
            ],
          },
        });
        expect(completion.usage).toMatchObject({ prompt_tokens: 270, completion_tokens: 24 });
        expect(upstream.conversationFor(question)).toHaveLength(2);
      });

      it('stream: false carries the tool calls in message.tool_calls beside the answer', async () => {
        const question = 'What is 2 ^ 10 without streaming?';
        upstream.scriptTurns(question, [
          {
            tokens: [],
            toolCalls: [jsonToolCall('call_pow', 'calculator', { expression: '2 ^ 10' })],
          },
          { tokens: ['It is ', '1024.'] },
        ]);
        const params: WholeParams = { ...whole(question), pipeline: 'agent' };

        const completion = await sdk().client.chat.completions.create(params);

        expect(completion.choices[0]).toMatchObject({
          finish_reason: 'stop',
          message: {
            content: 'It is 1024.',
            tool_calls: [
              {
                id: 'call_pow',
                type: 'function',
                function: { name: 'calculator', arguments: '{"expression":"2 ^ 10"}' },
              },
            ],
          },
        });
      });
    });

    describe('a client that stops reading cancels the generation', () => {
      /** Starts a slow stream under a known id and reads until three tokens are in. */
      async function startSlow(prompt: string, requestId: string) {
        upstream.script(prompt, SLOW);
        const stream = await sdk().client.chat.completions.create(streamed(prompt), {
          headers: { 'X-Request-Id': requestId },
        });
        return stream;
      }

      /** The upstream socket closed promptly after `stoppedAt`, and the log ends cancelled. */
      async function expectCancelled(prompt: string, requestId: string, stoppedAt: number) {
        const [call] = upstream.requestsFor(prompt);
        const abortedAt = await within('the upstream socket closes', call.aborted, 5_000);
        expect(abortedAt - stoppedAt).toBeLessThan(1_000);
        const log = await attach(requestId);
        expect(endReason(log)).toBe('cancelled');
        expect(tokenText(log).split(' ').length).toBeLessThan(SLOW.tokens.length / 2);
        expect(upstream.requestsFor(prompt)).toHaveLength(1);
      }

      it.each([
        { how: 'break out of the for await loop', stop: 'break' },
        { how: 'stream.controller.abort()', stop: 'controller' },
      ])('$how: the loop ends quietly, the upstream call is aborted', async ({ stop }) => {
        const prompt = `Stop me with ${stop}.`;
        const requestId = `stop-${stop}-1`;
        const stream = await startSlow(prompt, requestId);
        let stoppedAt = 0;

        const chunks = await collectChunks(stream, {
          onChunk: (seen) => {
            if (contentChunks(seen).length < 3) return false;
            stoppedAt = Date.now();
            if (stop === 'break') return true;
            stream.controller.abort();
            return false;
          },
        });

        expect(contentChunks(chunks)).toHaveLength(3);
        await expectCancelled(prompt, requestId, stoppedAt);
      });

      it('an AbortSignal in the request options aborts a stream the same way', async () => {
        const prompt = 'Stop me with a signal.';
        const requestId = 'stop-signal-1';
        upstream.script(prompt, SLOW);
        const controller = new AbortController();
        const stream = await sdk().client.chat.completions.create(streamed(prompt), {
          headers: { 'X-Request-Id': requestId },
          signal: controller.signal,
        });
        let stoppedAt = 0;

        const chunks = await collectChunks(stream, {
          onChunk: (seen) => {
            if (contentChunks(seen).length === 3) {
              stoppedAt = Date.now();
              controller.abort();
            }
          },
        });

        expect(contentChunks(chunks)).toHaveLength(3);
        await expectCancelled(prompt, requestId, stoppedAt);
      });

      it('stream: false: aborting the wait throws APIUserAbortError and cancels the upstream call', async () => {
        const prompt = 'Stop me before the whole answer.';
        const requestId = 'stop-whole-1';
        upstream.script(prompt, SLOW);
        const controller = new AbortController();
        const pending = sdk().client.chat.completions.create(whole(prompt), {
          headers: { 'X-Request-Id': requestId },
          signal: controller.signal,
        });
        await waitFor('the upstream call', () => upstream.requestsFor(prompt).length === 1);
        await sleep(300);
        const stoppedAt = Date.now();
        controller.abort();

        expect(await rejectionOf(pending)).toBeInstanceOf(OpenAI.APIUserAbortError);
        await expectCancelled(prompt, requestId, stoppedAt);
      });
    });

    describe('X-Request-Id', () => {
      it('sent: returned on the response, the completion id, and the cancel handle for another client', async () => {
        const prompt = 'Cancel me from elsewhere.';
        upstream.script(prompt, SLOW);
        const probe = sdk({ headers: { 'X-Request-Id': 'named-by-client-1' } });
        const { data: stream, response } = await probe.client.chat.completions
          .create(streamed(prompt))
          .withResponse();
        expect(response.headers.get('x-request-id')).toBe('named-by-client-1');
        let deletedAt = 0;
        let deleting: Promise<Response> | undefined;
        const seen: TimedChunk[] = [];

        const error = await rejectionOf(
          collectChunks(stream, {
            onChunk: (chunks) => {
              seen.splice(0, seen.length, ...chunks);
              if (contentChunks(chunks).length !== 3) return;
              deletedAt = Date.now();
              // Another client, knowing only the id, with the same key.
              deleting = fetch(`${service.url}/api/chat/streams/named-by-client-1`, {
                method: 'DELETE',
                headers: { authorization: `Bearer ${KEY}` },
              });
            },
          }),
        );
        const thrownAt = Date.now();

        expect((await deleting)?.status).toBe(202);
        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect(error).toMatchObject({ type: 'server_error', code: 'cancelled' });
        expect(thrownAt - deletedAt).toBeLessThan(1_000);
        expect(seen[0].chunk.id).toBe('chatcmpl-named-by-client-1');
        expect(contentChunks(seen).length).toBeLessThan(10);
        const [call] = upstream.requestsFor(prompt);
        expect((await within('upstream abort', call.aborted, 5_000)) - deletedAt).toBeLessThan(
          1_000,
        );
        expect(endReason(await attach('named-by-client-1'))).toBe('cancelled');
      });

      it('absent: the gateway names the stream, says so in the header, and DELETE by that name works', async () => {
        const prompt = 'Cancel me by the name you gave me.';
        upstream.script(prompt, SLOW);
        const { data: stream, response } = await sdk()
          .client.chat.completions.create(streamed(prompt))
          .withResponse();
        const requestId = response.headers.get('x-request-id') ?? '';
        expect(requestId).toMatch(UUID_V4);
        const iterator = stream[Symbol.asyncIterator]();
        await iterator.next();

        const deleted = await fetch(`${service.url}/api/chat/streams/${requestId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${KEY}` },
        });

        expect(deleted.status).toBe(202);
        const error = await rejectionOf(
          (async () => {
            for (let next = await iterator.next(); !next.done; next = await iterator.next());
          })(),
        );
        expect(error).toMatchObject({ code: 'cancelled' });
      });

      it('stream: false cancelled by DELETE: a 499 APIError with code cancelled, not retried', async () => {
        const prompt = 'Cancel my whole answer.';
        upstream.script(prompt, SLOW);
        const probe = sdk({ maxRetries: 2 });
        const pending = rejectionOf(
          probe.client.chat.completions.create(whole(prompt), {
            headers: { 'X-Request-Id': 'whole-cancelled-1' },
          }),
        );
        await waitFor('the upstream call', () => upstream.requestsFor(prompt).length === 1);
        await sleep(200);

        const deleted = await fetch(`${service.url}/api/chat/streams/whole-cancelled-1`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${KEY}` },
        });
        const deletedAt = Date.now();

        expect(deleted.status).toBe(202);
        const error = await within('the client gives up', pending, 2_000);
        expect(Date.now() - deletedAt).toBeLessThan(1_000);
        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect(error).toMatchObject({ status: 499, code: 'cancelled', type: 'server_error' });
        expect(probe.attempts).toHaveLength(1);
        await within('upstream abort', upstream.requestsFor(prompt)[0].aborted, 2_000);
      });

      it('stream: false returns the id it was sent', async () => {
        const prompt = 'Whole answer under my name.';
        upstream.script(prompt, { tokens: ['Named.'] });

        const { data, response } = await sdk()
          .client.chat.completions.create(whole(prompt), {
            headers: { 'X-Request-Id': 'whole-named-1' },
          })
          .withResponse();

        expect(response.headers.get('x-request-id')).toBe('whole-named-1');
        expect(data.id).toBe('chatcmpl-whole-named-1');
      });

      it('malformed: 400 invalid_request_error, no upstream call', async () => {
        const before = upstream.requests.length;

        const error = await rejectionOf(
          sdk().client.chat.completions.create(whole('Bad id.'), {
            headers: { 'X-Request-Id': 'has spaces in it' },
          }),
        );

        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        expect(error).toMatchObject({ status: 400, type: 'invalid_request_error' });
        expect(upstream.requests.length).toBe(before);
      });

      it('already in use: 409 ConflictError at once, not retried, the first stream untouched', async () => {
        const prompt = 'Hold this id.';
        upstream.script(prompt, { tokens: ['held', ' id', '.'], delayMs: 300 });
        const first = collectChunks(
          await sdk().client.chat.completions.create(streamed(prompt), {
            headers: { 'X-Request-Id': 'taken-id-1' },
          }),
        );
        // A client that retries as configured by default.
        const second = sdk({ maxRetries: 2, headers: { 'X-Request-Id': 'taken-id-1' } });

        const error = await rejectionOf(second.client.chat.completions.create(whole('Take it.')));

        expect(error).toBeInstanceOf(OpenAI.ConflictError);
        expect(error).toMatchObject({ status: 409, type: 'invalid_request_error' });
        expect(second.attempts).toHaveLength(1);
        expect(chunkText(await first)).toBe('held id.');
        expect(upstream.requestsFor('Take it.')).toHaveLength(0);
      });

      it('stream: false with its own id and a failing upstream: the upstream error, not a retry 409', async () => {
        const prompt = 'Fail under my own name.';
        upstream.script(prompt, { tokens: [], status: 500 });
        const probe = sdk({ maxRetries: 2 });

        const error = await rejectionOf(
          probe.client.chat.completions.create(whole(prompt), {
            headers: { 'X-Request-Id': 'own-id-failing-1' },
          }),
        );

        expect(error).toBeInstanceOf(OpenAI.InternalServerError);
        expect(error).toMatchObject({ status: 502, code: 'upstream_error' });
      });
    });

    describe('errors before the stream, in OpenAI shape', () => {
      const valid = { model: 'gpt-fake', messages: user('Valid question.'), stream: true };

      it.each([
        {
          label: 'a tool message',
          body: { ...valid, messages: [{ role: 'tool', content: '42', tool_call_id: 'c1' }] },
        },
        {
          label: 'an image part',
          body: {
            ...valid,
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'What is this?' },
                  { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
                ],
              },
            ],
          },
        },
        { label: 'n: 2', body: { ...valid, n: 2 } },
        {
          label: 'tool_calls on a user message',
          body: { ...valid, messages: [{ role: 'user', content: 'hi', tool_calls: [] }] },
        },
        {
          label: 'refusal on a system message',
          body: {
            ...valid,
            messages: [{ role: 'system', content: 'hi', refusal: null }, ...user('q')],
          },
        },
        {
          label: 'tool_calls that are not a list of objects',
          body: {
            ...valid,
            messages: [{ role: 'assistant', content: 'a', tool_calls: 'x' }, ...user('q')],
          },
        },
        { label: 'an unknown parameter', body: { ...valid, frobnicate: true } },
        {
          label: 'client-side tools',
          body: { ...valid, tools: [{ type: 'function', function: { name: 'f' } }] },
        },
        { label: 'temperature as a string', body: { ...valid, temperature: '0.5' } },
        { label: 'temperature 3', body: { ...valid, temperature: 3 } },
        { label: 'stream as a string', body: { ...valid, stream: 'yes' } },
        { label: 'max_tokens 1.5', body: { ...valid, max_tokens: 1.5 } },
        { label: 'messages as a string', body: { ...valid, messages: 'hi' } },
        { label: 'no messages', body: { ...valid, messages: [] } },
        { label: 'no model', body: { messages: valid.messages } },
        { label: 'a null optional', body: { ...valid, temperature: null } },
        { label: 'an unknown pipeline', body: { ...valid, pipeline: 'nope' } },
        {
          label: 'a model not in LLM_ALLOWED_MODELS',
          body: { ...valid, model: 'gpt-5-expensive' },
        },
        { label: 'max_tokens above LLM_MAX_TOKENS', body: { ...valid, max_tokens: 1_000_000 } },
      ])(
        '$label: 400 BadRequestError, invalid_request_error, no upstream call',
        async ({ body }) => {
          const before = upstream.requests.length;
          const probe = sdk({ maxRetries: 2 });

          const error = await rejectionOf(probe.client.post('/chat/completions', { body }));

          expect(error).toBeInstanceOf(OpenAI.BadRequestError);
          expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param: null });
          expect((error as APIError).error).toEqual({
            message: expect.any(String) as string,
            type: 'invalid_request_error',
            param: null,
            code: null,
          });
          expect(probe.attempts).toHaveLength(1);
          expect(upstream.requests.length).toBe(before);
        },
      );

      it.each([
        {
          label: 'broken JSON',
          headers: { 'content-type': 'application/json' },
          body: '{"model": "gpt-fake", "messages": [',
          status: 400,
        },
        {
          label: 'a form body',
          headers: { 'content-type': 'text/plain' },
          body: 'model=gpt-fake',
          status: 415,
        },
        {
          label: 'JSON in another charset',
          headers: { 'content-type': 'application/json; charset=latin1' },
          body: JSON.stringify(valid),
          status: 415,
        },
      ])('$label: $status with an OpenAI error body, no upstream call', async (example) => {
        const before = upstream.requests.length;

        const response = await fetch(`${service.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { ...example.headers, authorization: `Bearer ${KEY}` },
          body: example.body,
        });

        expect(response.status).toBe(example.status);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toEqual({
          error: {
            message: expect.any(String) as string,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
        expect(upstream.requests.length).toBe(before);
      });

      it(`a body over BODY_LIMIT: 413, no upstream call`, async () => {
        const before = upstream.requests.length;
        const big = whole('x'.repeat(BODY_LIMIT_BYTES + 1));

        const error = await rejectionOf(sdk().client.chat.completions.create(big));

        expect(error).toBeInstanceOf(OpenAI.APIError);
        expect(error).toMatchObject({ status: 413, type: 'invalid_request_error' });
        expect((error as Error).message).toContain(String(BODY_LIMIT_BYTES));
        expect(upstream.requests.length).toBe(before);
      });

      it.each([
        { label: 'a wrong key', headers: {} as Record<string, string | null>, apiKey: 'not-a-key' },
        { label: 'no Authorization header', headers: { Authorization: null }, apiKey: KEY },
      ])('$label: 401 AuthenticationError (invalid_api_key), no upstream call', async (example) => {
        const before = upstream.requests.length;
        const client = new OpenAI({
          baseURL: `${service.url}/v1`,
          apiKey: example.apiKey,
          defaultHeaders: example.headers,
          maxRetries: 0,
        });

        const error = await rejectionOf(client.chat.completions.create(whole('Let me in.')));

        expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
        expect(error).toMatchObject({
          status: 401,
          type: 'authentication_error',
          code: 'invalid_api_key',
        });
        expect(await rejectionOf(client.models.list())).toBeInstanceOf(OpenAI.AuthenticationError);
        expect(upstream.requests.length).toBe(before);
      });

      it('an unknown /v1 route: 404 NotFoundError in OpenAI shape', async () => {
        const probe = sdk();

        const calls = [
          () => probe.client.get('/unknown'),
          () => probe.client.post('/responses', { body: { model: 'gpt-fake', input: 'hi' } }),
        ];
        for (const call of calls) {
          const error = await rejectionOf(call());
          expect(error).toBeInstanceOf(OpenAI.NotFoundError);
          expect((error as APIError).error).toEqual({
            message: expect.any(String) as string,
            type: 'invalid_request_error',
            param: null,
            code: null,
          });
        }
      });
    });

    describe('retries: 429 with retry-after and retry-after-ms (MAX_STREAMS_PER_KEY=1)', () => {
      /**
       * Holds the key's one place with a stream that ends about half a second in; `done` settles
       * when it has been read to its end.
       */
      async function holdThePlace(prompt: string): Promise<{ done: Promise<TimedChunk[]> }> {
        upstream.script(prompt, { tokens: ['a', 'b', 'c', 'd', 'e'], delayMs: 100 });
        const holder = new OpenAISdkProbe(limited.url, { apiKey: KEY, maxRetries: 0 });
        const stream = await holder.client.chat.completions.create(streamed(prompt));
        return { done: collectChunks(stream) };
      }

      it('the default client waits retry-after-ms, retries once and streams once the place is free', async () => {
        const holding = await holdThePlace('Hold the place (retried).');
        const probe = new OpenAISdkProbe(limited.url, { apiKey: KEY });
        const prompt = 'Wait for the place.';
        upstream.script(prompt, { tokens: ['Worth', ' the', ' wait.'] });

        const chunks = await collectChunks(
          await probe.client.chat.completions.create(streamed(prompt)),
        );

        expect(chunkText(chunks)).toBe('Worth the wait.');
        expect(chunkText(await holding.done)).toBe('abcde');
        expect(probe.attempts.map((attempt) => attempt.status)).toEqual([429, 200]);
        const [refused, retried] = probe.attempts;
        expect(refused.headers?.get('retry-after')).toBe('2');
        expect(refused.headers?.get('retry-after-ms')).toBe('2000');
        expect(retried.requestHeaders.get('x-stainless-retry-count')).toBe('1');
        const waited = retried.sentAt - (refused.answeredAt ?? 0);
        expect(waited).toBeGreaterThanOrEqual(1_950);
        expect(waited).toBeLessThan(3_500);
        expect(upstream.requestsFor(prompt)).toHaveLength(1);
      });

      it('maxRetries: 0 throws RateLimitError with both headers and no upstream call', async () => {
        const holding = await holdThePlace('Hold the place (not retried).');
        const probe = new OpenAISdkProbe(limited.url, { apiKey: KEY, maxRetries: 0 });

        const error = await rejectionOf(probe.client.chat.completions.create(whole('No wait.')));

        expect(error).toBeInstanceOf(OpenAI.RateLimitError);
        expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
        const { headers } = error as RateLimitError;
        expect(headers.get('retry-after')).toBe('2');
        expect(headers.get('retry-after-ms')).toBe('2000');
        expect(probe.attempts).toHaveLength(1);
        expect(upstream.requestsFor('No wait.')).toHaveLength(0);
        expect(chunkText(await holding.done)).toBe('abcde');
      });
    });

    describe('GET /v1/models', () => {
      it('lists LLM_ALLOWED_MODELS when set', async () => {
        const models = [];
        for await (const model of sdk().client.models.list()) models.push(model);

        expect(models).toEqual([
          { id: 'gpt-fake', object: 'model', created: 0, owned_by: 'openai' },
          { id: 'gpt-fake-large', object: 'model', created: 0, owned_by: 'openai' },
        ]);
      });

      it('lists the default model when no list is set', async () => {
        const page = await new OpenAISdkProbe(demo.url).client.models.list();

        expect(page.data).toEqual([
          { id: 'demo-1', object: 'model', created: 0, owned_by: 'demo' },
        ]);
      });
    });

    describe('through nginx with the project nginx.conf', () => {
      let proxy: RunningNginx;
      let buffering: RunningNginx;

      beforeAll(async () => {
        proxy = await startNginx([service.port]);
        // What the timing check must catch (as in nginx.e2e-spec): buffering on, HTTP/1.0 upstream.
        buffering = await startNginx(
          [service.port],
          [
            [
              'proxy_buffering off;',
              'proxy_buffering on;\n      proxy_ignore_headers X-Accel-Buffering;',
            ],
            ['proxy_http_version 1.1;', 'proxy_http_version 1.0;'],
          ],
        );
      });

      afterAll(async () => {
        await proxy?.stop();
        await buffering?.stop();
      });

      /** Streams `prompt` through `baseUrl`; whether the upstream had finished at the first token. */
      async function streamThrough(baseUrl: string, prompt: string) {
        upstream.script(prompt, { tokens: ['One', ' by', ' one', '.'], delayMs: 250 });
        const probe = new OpenAISdkProbe(baseUrl, { apiKey: KEY, maxRetries: 0 });
        const { data: stream, response } = await probe.client.chat.completions
          .create(streamed(prompt), {
            headers: { 'X-Request-Id': `nginx-${prompt.length}-${Date.now()}` },
          })
          .withResponse();
        let upstreamDoneAtFirstToken: boolean | undefined;
        const chunks = await collectChunks(stream, {
          onChunk: (seen) => {
            if (contentChunks(seen).length === 1) {
              upstreamDoneAtFirstToken = upstream.requestsFor(prompt)[0]?.finished ?? true;
            }
          },
        });
        return { chunks, response, upstreamDoneAtFirstToken };
      }

      it('tokens arrive as they are made, with the X-Request-Id the client sent', async () => {
        const { chunks, response, upstreamDoneAtFirstToken } = await streamThrough(
          proxy.url,
          'Through nginx, one by one.',
        );

        expect(chunkText(chunks)).toBe('One by one.');
        expect(upstreamDoneAtFirstToken).toBe(false);
        const times = contentChunks(chunks).map(({ at }) => at);
        expect(times.at(-1)! - times[0]).toBeGreaterThan(500);
        expect(response.headers.get('x-request-id')).toMatch(/^nginx-/);
      });

      it('(the same check fails behind a buffering proxy)', async () => {
        const { chunks, upstreamDoneAtFirstToken } = await streamThrough(
          buffering.url,
          'Through a buffering nginx.',
        );

        expect(chunkText(chunks)).toBe('One by one.');
        expect(upstreamDoneAtFirstToken).toBe(true);
      });

      it('break out of the loop: nginx closes the upstream connection and the generation is cancelled', async () => {
        const prompt = 'Break out behind nginx.';
        upstream.script(prompt, SLOW);
        const probe = new OpenAISdkProbe(proxy.url, { apiKey: KEY, maxRetries: 0 });
        const stream = await probe.client.chat.completions.create(streamed(prompt), {
          headers: { 'X-Request-Id': 'nginx-break-1' },
        });
        let stoppedAt = 0;

        await collectChunks(stream, {
          onChunk: (seen) => {
            if (contentChunks(seen).length < 3) return false;
            stoppedAt = Date.now();
            return true;
          },
        });

        const [call] = upstream.requestsFor(prompt);
        const abortedAt = await within('the upstream socket closes', call.aborted, 5_000);
        expect(abortedAt - stoppedAt).toBeLessThan(1_000);
        expect(endReason(await attach('nginx-break-1'))).toBe('cancelled');
      });
    });

    describe('a conversation goes on with the answers the client got', () => {
      it('stream: false: the returned message is sent back as history, as the SDK docs do', async () => {
        const first = 'First question of a conversation.';
        upstream.script(first, { tokens: ['First', ' answer.'] });
        const probe = sdk();
        const answer = await probe.client.chat.completions.create(whole(first));
        const second = 'And a follow-up?';
        upstream.script(second, { tokens: ['Follow-up answer.'] });

        const followUp = await probe.client.chat.completions.create({
          model: 'gpt-fake',
          messages: [...user(first), answer.choices[0].message, ...user(second)],
        });

        expect(followUp.choices[0].message.content).toBe('Follow-up answer.');
        expect(upstream.requestsFor(second)[0].body.messages).toEqual([
          { role: 'user', content: first },
          { role: 'assistant', content: 'First answer.' },
          { role: 'user', content: second },
        ]);
      });

      it('an agent answer with tool calls, sent back from the stream helper: only its text goes upstream', async () => {
        const question = 'What is 5 * 5, agent?';
        upstream.scriptTurns(question, [
          {
            tokens: [],
            toolCalls: [jsonToolCall('call_5x5', 'calculator', { expression: '5 * 5' })],
          },
          { tokens: ['It is 25.'] },
        ]);
        const probe = sdk();
        const runner = probe.client.chat.completions.stream({
          ...streamed(question),
          pipeline: 'agent',
        } as StreamParams);
        const { message } = (await runner.finalChatCompletion()).choices[0];
        expect(message.tool_calls).toHaveLength(1);
        const followUp = 'And 6 * 6, agent?';
        upstream.scriptTurns(followUp, [{ tokens: ['36, from memory.'] }]);

        const answer = await probe.client.chat.completions.create({
          ...whole(followUp),
          messages: [...user(question), message, ...user(followUp)],
          pipeline: 'agent',
        } as WholeParams);

        expect(answer.choices[0].message.content).toBe('36, from memory.');
        const [call] = upstream.conversationFor(followUp);
        const history = call.body.messages.filter((entry) => entry.role !== 'system');
        expect(history).toEqual([
          { role: 'user', content: question },
          { role: 'assistant', content: 'It is 25.' },
          { role: 'user', content: followUp },
        ]);
      });
    });

    describe('the official client in a browser (CORS_ORIGINS)', () => {
      const origin = 'http://localhost:5173';

      it('the preflight allows the x-stainless-* headers the client sends', async () => {
        const probe = new OpenAISdkProbe(demo.url, { maxRetries: 0 });
        await probe.client.models.list();
        // What a browser asks the server to allow: every header the client set but the safelisted.
        const asked: string[] = [];
        probe.attempts[0].requestHeaders.forEach((_value, name) => {
          if (name !== 'accept' && name !== 'user-agent') asked.push(name);
        });
        expect(asked).toEqual(expect.arrayContaining(['authorization', 'x-stainless-lang']));

        const preflight = await fetch(`${demo.url}/v1/chat/completions`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': [...asked, 'content-type', 'x-request-id'].join(','),
          },
        });

        expect(preflight.status).toBeLessThan(300);
        expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
        const allowed = (preflight.headers.get('access-control-allow-headers') ?? '')
          .toLowerCase()
          .split(/\s*,\s*/);
        if (!allowed.includes('*')) {
          expect(allowed).toEqual(
            expect.arrayContaining([...asked, 'content-type', 'x-request-id']),
          );
        }
      });

      it('a browser client can read the retry and id headers', async () => {
        const response = await fetch(`${demo.url}/v1/models`, { headers: { origin } });

        expect(response.headers.get('access-control-allow-origin')).toBe(origin);
        const exposed = (response.headers.get('access-control-expose-headers') ?? '')
          .toLowerCase()
          .split(/\s*,\s*/);
        expect(exposed).toEqual(
          expect.arrayContaining([
            'x-request-id',
            'retry-after',
            'retry-after-ms',
            'x-should-retry',
          ]),
        );
      });
    });
  },
);

describe('POST /v1/chat/completions while the Redis stream log is down', () => {
  const upstream = new FakeOpenAIServer();
  let redisServer: RedisServer;
  let service: RunningApp;

  beforeAll(async () => {
    redisServer = await RedisServer.start();
    service = await startApp(openAiEnv(await upstream.start(), { REDIS_URL: redisServer.url }));
  });

  afterAll(async () => {
    await service?.close();
    await upstream.close();
    await redisServer?.stop();
  });

  it('503 in OpenAI shape with retry-after and retry-after-ms, no upstream call; fine again after', async () => {
    await redisServer.stop();
    const probe = new OpenAISdkProbe(service.url, { maxRetries: 0 });

    const error = await rejectionOf(
      probe.client.chat.completions.create(streamed('Is storage there?')),
    );

    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503, type: 'server_error' });
    const { headers } = error as APIError<number, Headers>;
    expect(headers.get('retry-after')).toBe('2');
    expect(headers.get('retry-after-ms')).toBe('2000');
    expect(upstream.requests).toHaveLength(0);

    await redisServer.restart();
    upstream.script('Is storage back?', { tokens: ['Yes.'] });
    const recovered = new OpenAISdkProbe(service.url);
    const chunks = await collectChunks(
      await recovered.client.chat.completions.create(streamed('Is storage back?')),
    );
    expect(chunkText(chunks)).toBe('Yes.');
  });
});
