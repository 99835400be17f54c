import type { UIMessage } from 'ai';
import Redis from 'ioredis';
import { AbortService } from '../src/abort/abort.service';
import { customEventPipeline } from './support/custom-pipelines';
import { NodeChat } from './support/node-chat';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { jsonToolCall } from './support/fake-tool-calls';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { endReason, readStream } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { TcpProxy } from './support/tcp-proxy';
import {
  chunksOfRaw,
  chunkTypes,
  firstChunk,
  textOf,
  UiChatClient,
  userText,
  type TimedChunk,
  type UiRead,
} from './support/ui-chat-client';
import { fieldProblems, sseEvents, streamProblems } from './support/ui-chunk-shape';
import { sleep, waitFor, within } from './support/wait-for';

type LogMode = 'memory' | 'redis';

/** Pause of the fake upstream before each token of a "slow" answer. */
const TOKEN_MS = 150;
/** How soon a cancel must reach the upstream socket, on a loaded 2-core machine. */
const CANCEL_BOUND_MS = 1_500;
/** The demo model's pace in the demo app. */
const DEMO_DELAY_MS = 25;
const KEY_A = 'ui-alpha-key-41c9';
const KEY_B = 'ui-bravo-key-7e02';
const RETRIEVAL = { documents: 2, sources: ['harbour.md', 'tides.md'] };

const words = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${index} `);
/** How many words of the answer a chat shows so far. */
const answerWords = (chat: NodeChat): number =>
  chat.lastMessage?.role === 'assistant' ? textOf(chat.lastMessage).split(' ').length - 1 : 0;
const deltasOf = (read: UiRead): TimedChunk[] =>
  read.chunks.filter(({ chunk }) => chunk.type === 'text-delta');
/** Reader callback: true once `count` text deltas have arrived. */
const afterDeltas =
  (count: number) =>
  (chunks: TimedChunk[]): boolean =>
    chunks.filter(({ chunk }) => chunk.type === 'text-delta').length >= count;
/** The message's parts with nothing generation-specific (for comparing two runs). */
const partsOf = (message: UIMessage | undefined): unknown[] =>
  JSON.parse(JSON.stringify(message?.parts ?? [])) as unknown[];

async function expectValidWire(read: UiRead): Promise<void> {
  expect(await streamProblems(read.wire.raw)).toEqual([]);
}

describe('the chunk checker itself', () => {
  it('refuses an extra field, a missing field and an unknown type', () => {
    expect(fieldProblems({ type: 'text-delta', id: 't', delta: 'x' })).toEqual([]);
    expect(fieldProblems({ type: 'text-delta', id: 't', delta: 'x', index: 1 })).toEqual([
      'text-delta: extra field index',
    ]);
    expect(fieldProblems({ type: 'tool-output-error', toolCallId: 'c' })).toEqual([
      'tool-output-error: no errorText',
    ]);
    expect(fieldProblems({ type: 'data-usage', data: 1, transient: true })).toEqual([]);
    expect(fieldProblems({ type: 'tool-result' })).toEqual(['unknown chunk type tool-result']);
  });

  it("refuses what the SDK's schema refuses, ids that go back and a missing [DONE]", async () => {
    const frame = (id: number, chunk: object): string =>
      `id: ${id}\ndata: ${JSON.stringify(chunk)}\n\n`;
    const good = frame(0, { type: 'start' }) + frame(1, { type: 'finish' }) + 'data: [DONE]\n\n';
    expect(await streamProblems(good)).toEqual([]);
    expect(await streamProblems(frame(0, { type: 'error' }) + 'data: [DONE]\n\n')).toEqual([
      expect.stringContaining('errorText') as string,
      'error: no errorText',
    ]);
    const backwards = frame(2, { type: 'start' }) + frame(1, { type: 'finish' });
    expect(await streamProblems(backwards)).toEqual([
      '{"type":"finish"}: id 1 after 2',
      'the stream does not end with [DONE]',
    ]);
  });
});

describe.each<LogMode>(['memory', 'redis'])('AI SDK UI message stream (%s log)', (mode) => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer | undefined;
  let service: RunningApp;
  let demo: RunningApp;
  let keyed: RunningApp;
  let proxy: TcpProxy;
  let client: UiChatClient;
  let demoClient: UiChatClient;
  let proxiedClient: UiChatClient;
  let proxyUrl: string;
  let counter = 0;
  const nextChat = (label: string): string => `${label}-${mode}-${++counter}`;

  beforeAll(async () => {
    redis = mode === 'redis' ? await RedisServer.start() : undefined;
    const redisEnv: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
    const upstreamUrl = await upstream.start();
    service = await startApp(openAiEnv(upstreamUrl, redisEnv), {
      // A name with characters a data part type cannot have: they become `_`.
      pipelines: [customEventPipeline('ui-retrieving', 'retrieval step', RETRIEVAL)],
    });
    keyed = await startApp(openAiEnv(upstreamUrl, { ...redisEnv, API_KEYS: `${KEY_A},${KEY_B}` }));
    demo = await startApp({
      ...redisEnv,
      LLM_PROVIDER: 'demo',
      DEMO_TOKEN_DELAY_MS: String(DEMO_DELAY_MS),
    });
    proxy = new TcpProxy(service.port);
    proxyUrl = await proxy.start();
    proxiedClient = new UiChatClient({ baseUrl: proxyUrl });
    client = new UiChatClient({ baseUrl: service.url });
    demoClient = new UiChatClient({ baseUrl: demo.url });
  }, 30_000);

  afterAll(async () => {
    await proxy?.close();
    await service?.close();
    await keyed?.close();
    await demo?.close();
    await redis?.stop();
    await upstream.close();
  });

  const stopChat = (chatId: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/api/ui/chat/${chatId}/stop`, { method: 'POST', headers });
  /** The stream as the native view's log replay tells it (what the log recorded). */
  const nativeReplay = (requestId: string) =>
    readStream(`${service.url}/api/chat/streams/${requestId}`, { method: 'GET' });
  const noStreamLeft = (app: RunningApp = service) =>
    waitFor('no stream left running', () => app.app.get(AbortService).runningCount === 0);

  describe('text', () => {
    it('streams the answer progressively into one assistant message: start carries the request id, finish says stop', async () => {
      const prompt = `ui text ${mode}`;
      upstream.script(prompt, {
        tokens: ['Hel', 'lo', ', ', 'wor', 'ld', '!'],
        delayMs: TOKEN_MS,
        usage: { prompt_tokens: 11, completion_tokens: 6 },
      });

      const read = await client.send({ chatId: nextChat('text'), messages: [userText(prompt)] });

      expect(read.wire.status).toBe(200);
      expect(read.wire.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
      expect(read.wire.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const requestId = read.wire.headers.get('x-request-id') ?? '';
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(chunkTypes(read)).toEqual([
        'start',
        'start-step',
        'text-start',
        ...Array<string>(6).fill('text-delta'),
        'data-usage',
        'text-end',
        'finish-step',
        'finish',
      ]);
      expect(read.chunks[0].chunk).toEqual({ type: 'start', messageId: requestId });
      expect(firstChunk(read, 'finish').chunk).toEqual({ type: 'finish', finishReason: 'stop' });
      expect(read.errors).toEqual([]);
      expect(read.message).toEqual({
        id: requestId,
        role: 'assistant',
        parts: [{ type: 'step-start' }, { type: 'text', text: 'Hello, world!', state: 'done' }],
      });
      // Progressive: each token reaches the SDK as the upstream sends it, not all at the end.
      const deltas = deltasOf(read);
      expect(deltas.at(-1)!.at - deltas[0].at).toBeGreaterThan(3 * TOKEN_MS);
      // The start (and with it the message id) is there before the model's first token.
      expect(deltas[0].at - read.chunks[0].at).toBeGreaterThan(TOKEN_MS / 2);
      const firstText = read.snapshots.find((snapshot) => textOf(snapshot.message) !== '');
      expect(textOf(firstText?.message)).toBe('Hel');
      expect(read.endedAt - (firstText?.at ?? read.endedAt)).toBeGreaterThan(3 * TOKEN_MS);
      const texts = read.snapshots.map((snapshot) => textOf(snapshot.message));
      expect(new Set(texts)).toEqual(
        new Set(['', 'Hel', 'Hello', 'Hello, ', 'Hello, wor', 'Hello, world', 'Hello, world!']),
      );
      // Usage is a transient data part: delivered, never kept in the message.
      expect(firstChunk(read, 'data-usage').chunk).toEqual({
        type: 'data-usage',
        data: { inputTokens: 11, outputTokens: 6, totalTokens: 17 },
        transient: true,
      });
      const [request, ...more] = upstream.requestsFor(prompt);
      expect(more).toHaveLength(0);
      expect(request.body.messages).toEqual([{ role: 'user', content: prompt }]);
      await expectValidWire(read);
      // Our event ids on the SSE id: lines: the same ids the log holds for this generation.
      const native = await nativeReplay(requestId);
      const nativeIds = native.events.filter((e) => e.id).map((e) => Number(e.id));
      const uiIds = sseEvents(read.wire.raw)
        .filter((e) => e.id !== undefined)
        .map((e) => Number(e.id));
      expect([...new Set(uiIds)]).toEqual(nativeIds);
    });

    it('an answer cut at maxTokens finishes with finishReason length', async () => {
      const prompt = `ui length ${mode}`;
      upstream.script(prompt, { tokens: ['The answer', ' is'], finishReason: 'length' });

      const read = await client.send({
        chatId: nextChat('length'),
        messages: [userText(prompt)],
        body: { maxTokens: 2, temperature: 0.25 },
      });

      expect(firstChunk(read, 'finish').chunk).toEqual({ type: 'finish', finishReason: 'length' });
      expect(textOf(read.message)).toBe('The answer is');
      const sent = upstream.requestsFor(prompt)[0].body;
      expect(sent.max_tokens ?? sent.max_completion_tokens).toBe(2);
      expect(sent.temperature).toBe(0.25);
      await expectValidWire(read);
    });
  });

  describe('tools', () => {
    it('ChatOpenAI agent: text, a tool-calculator part with input and output, then a second step with the answer', async () => {
      const question = `ui tools: what is 17 * 23? (${mode})`;
      upstream.scriptTurns(question, [
        {
          tokens: ['Let me compute. '],
          toolCalls: [jsonToolCall('call_ui_ok', 'calculator', { expression: '17 * 23' })],
        },
        { tokens: ['17 × 23 ', 'is 391.'], delayMs: 20 },
      ]);

      const read = await client.send({
        chatId: nextChat('tools'),
        messages: [userText(question)],
        body: { pipeline: 'agent' },
      });

      expect(chunkTypes(read)).toEqual([
        'start',
        'start-step',
        'text-start',
        'text-delta',
        'text-end',
        'tool-input-available',
        'tool-output-available',
        'finish-step',
        'start-step',
        'text-start',
        'text-delta',
        'text-delta',
        'data-usage',
        'text-end',
        'finish-step',
        'finish',
      ]);
      expect(read.message?.parts).toEqual([
        { type: 'step-start' },
        { type: 'text', text: 'Let me compute. ', state: 'done' },
        {
          type: 'tool-calculator',
          toolCallId: 'call_ui_ok',
          state: 'output-available',
          input: { expression: '17 * 23' },
          output: '391',
        },
        { type: 'step-start' },
        { type: 'text', text: '17 × 23 is 391.', state: 'done' },
      ]);
      expect(firstChunk(read, 'finish').chunk.finishReason).toBe('stop');
      expect(read.errors).toEqual([]);
      await expectValidWire(read);
    });

    it('a failing tool: its part ends in output-error with the error text, and the agent answers in the next step', async () => {
      const question = `ui tools: a broken expression (${mode})`;
      upstream.scriptTurns(question, [
        {
          tokens: [],
          toolCalls: [jsonToolCall('call_ui_bad', 'calculator', { expression: '2 +* 3' })],
        },
        { tokens: ['That did not work.'] },
      ]);

      const read = await client.send({
        chatId: nextChat('tool-error'),
        messages: [userText(question)],
        body: { pipeline: 'agent' },
      });

      const parts = read.message?.parts ?? [];
      expect(parts.map((part) => part.type)).toEqual([
        'step-start',
        'tool-calculator',
        'step-start',
        'text',
      ]);
      expect(parts[1]).toEqual({
        type: 'tool-calculator',
        toolCallId: 'call_ui_bad',
        state: 'output-error',
        input: { expression: '2 +* 3' },
        errorText: expect.stringContaining('is not an arithmetic expression') as string,
      });
      expect(textOf(read.message)).toBe('That did not work.');
      expect(read.errors).toEqual([]);
      await expectValidWire(read);
    });

    it('demo model, "What is 6*7?": reasoning streamed first, a calculator part with 42, two steps', async () => {
      const read = await demoClient.send({
        chatId: nextChat('demo-agent'),
        messages: [userText('What is 6*7?')],
        body: { pipeline: 'agent' },
      });

      const parts = read.message?.parts ?? [];
      expect(parts.map((part) => part.type)).toEqual([
        'step-start',
        'reasoning',
        'tool-calculator',
        'step-start',
        'text',
      ]);
      expect(parts[1]).toMatchObject({
        type: 'reasoning',
        state: 'done',
        text: expect.stringContaining('(6*7)') as string,
      });
      expect(parts[2]).toEqual({
        type: 'tool-calculator',
        toolCallId: expect.stringMatching(/^call_demo_/) as string,
        state: 'output-available',
        input: { expression: '6*7' },
        output: '42',
      });
      expect(textOf(read.message)).toContain('**42**');
      expect(firstChunk(read, 'finish').chunk.finishReason).toBe('stop');
      // The reasoning is shown as it is thought: word by word, well before the tool call.
      const reasoningDeltas = read.chunks.filter(({ chunk }) => chunk.type === 'reasoning-delta');
      expect(reasoningDeltas.length).toBeGreaterThan(5);
      expect(firstChunk(read, 'tool-input-available').at - reasoningDeltas[0].at).toBeGreaterThan(
        4 * DEMO_DELAY_MS,
      );
      await expectValidWire(read);
    });
  });

  describe('data', () => {
    it('a custom event becomes a data part of the message, before the answer', async () => {
      const prompt = `ui data part ${mode}`;
      upstream.script(prompt, { tokens: ['Found ', 'two.'] });
      const data: unknown[] = [];
      const chat = new NodeChat({
        id: nextChat('data'),
        transport: client.transport,
        onData: (part) => data.push(part),
      });

      await chat.sendMessage({ text: prompt }, { body: { pipeline: 'ui-retrieving' } });

      expect(chat.status).toBe('ready');
      expect(chat.lastMessage?.parts).toEqual([
        { type: 'step-start' },
        { type: 'data-retrieval_step', data: RETRIEVAL },
        { type: 'text', text: 'Found two.', state: 'done' },
      ]);
      expect(data.map((part) => (part as { type: string }).type)).toEqual([
        'data-retrieval_step',
        'data-usage',
      ]);
      expect(await streamProblems(client.wire.at(-1)?.raw ?? '')).toEqual([]);
    });
  });

  describe('errors', () => {
    it('an upstream failure: an error chunk with a safe errorText, which the SDK reports', async () => {
      const prompt = `ui upstream 500 ${mode}`;
      upstream.script(prompt, { tokens: [], status: 500 });

      const read = await client.send({ chatId: nextChat('error'), messages: [userText(prompt)] });

      expect(read.wire.status).toBe(200);
      const error = firstChunk(read, 'error').chunk;
      expect(chunkTypes(read).slice(0, 2)).toEqual(['start', 'start-step']);
      expect(chunkTypes(read)).not.toContain('text-start');
      expect(error.errorText).not.toBe('');
      expect(error.errorText).not.toMatch(/sk-|secret|fake upstream failure|stack|\bat \w/i);
      expect(read.errors.map((e) => e.message)).toEqual([error.errorText]);
      await expectValidWire(read);
    });

    it('a failure mid-answer: the text so far is kept and closed, then the error', async () => {
      const prompt = `ui upstream reset ${mode}`;
      upstream.script(prompt, {
        tokens: ['one ', 'two ', 'three ', 'four '],
        delayMs: 30,
        resetAfter: 2,
      });

      const read = await client.send({ chatId: nextChat('reset'), messages: [userText(prompt)] });

      expect(chunkTypes(read)).toEqual([
        'start',
        'start-step',
        'text-start',
        'text-delta',
        'text-delta',
        'text-end',
        'error',
        'finish-step',
        'finish',
      ]);
      expect(firstChunk(read, 'finish').chunk.finishReason).toBe('error');
      expect(read.message?.parts).toEqual([
        { type: 'step-start' },
        { type: 'text', text: 'one two ', state: 'done' },
      ]);
      expect(read.errors.map((error) => error.message)).toEqual([
        firstChunk(read, 'error').chunk.errorText,
      ]);
      await expectValidWire(read);
    });

    it('Chat: status error, chat.error and onError carry the errorText', async () => {
      const prompt = `ui chat error ${mode}`;
      upstream.script(prompt, { tokens: [], status: 500 });
      const reported: Error[] = [];
      const chat = new NodeChat({
        id: nextChat('chat-error'),
        transport: client.transport,
        onError: (error) => reported.push(error),
      });

      await chat.sendMessage({ text: prompt });

      const errorText = firstChunk({ chunks: chunksOfRaw(client.wire.at(-1)?.raw ?? '') }, 'error')
        .chunk.errorText;
      expect(chat.status).toBe('error');
      expect(chat.error?.message).toBe(errorText);
      expect(reported.map((error) => error.message)).toEqual([errorText]);
    });
  });

  describe('cancel', () => {
    /** Starts a slow answer and calls `cancel` once three tokens have been read. */
    async function cancelMidStream(
      label: string,
      cancel: (read: { chatId: string; requestId: string }) => Promise<Response>,
    ): Promise<{ read: UiRead; cancelled: Response; cancelSentAt: number; prompt: string }> {
      const prompt = `ui ${label} ${mode}`;
      upstream.script(prompt, { tokens: words('w', 40), delayMs: 60 });
      const chatId = nextChat(label);
      let cancelling: Promise<Response> | undefined;
      let cancelSentAt = 0;
      const read = await client.send({
        chatId,
        messages: [userText(prompt)],
        stopAfter: (chunks) => {
          if (!cancelling && afterDeltas(3)(chunks)) {
            const start = chunks[0].chunk as { messageId: string };
            cancelSentAt = Date.now();
            cancelling = cancel({ chatId, requestId: start.messageId });
          }
          return false;
        },
      });
      if (!cancelling) throw new Error('never cancelled');
      return { read, cancelled: await cancelling, cancelSentAt, prompt };
    }

    const expectAborted = async (outcome: Awaited<ReturnType<typeof cancelMidStream>>) => {
      const { read, cancelSentAt, prompt } = outcome;
      const types = chunkTypes(read);
      expect(types.at(-1)).toBe('abort');
      expect(types).not.toContain('finish');
      expect(types.at(-2)).toBe('text-end');
      expect(textOf(read.message)).toMatch(/^w0 w1 w2 /);
      expect(textOf(read.message).split(' ').length).toBeLessThan(30);
      expect(read.errors).toEqual([]);
      const abortedAt = await within(
        'the upstream socket to close',
        upstream.requestsFor(prompt)[0].aborted,
        5_000,
      );
      expect(abortedAt - cancelSentAt).toBeLessThan(CANCEL_BOUND_MS);
      await expectValidWire(read);
    };

    it('DELETE /api/chat/streams/{messageId}: the stream ends with abort and the upstream call is closed', async () => {
      const outcome = await cancelMidStream('delete', ({ requestId }) =>
        fetch(`${service.url}/api/chat/streams/${requestId}`, { method: 'DELETE' }),
      );
      expect(outcome.cancelled.status).toBe(202);
      expect(outcome.read.wire.headers.get('x-request-id')).toBe(
        (outcome.read.chunks[0].chunk as { messageId: string }).messageId,
      );
      await expectAborted(outcome);
    });

    it('POST /api/ui/chat/{chatId}/stop: the stream ends with abort and the upstream call is closed; then 409, unknown chat 404', async () => {
      let chatId = '';
      const outcome = await cancelMidStream('stop', (ids) => {
        chatId = ids.chatId;
        return stopChat(ids.chatId);
      });
      expect(outcome.cancelled.status).toBe(202);
      expect(await outcome.cancelled.json()).toEqual({ chatId, status: 'cancelling' });
      await expectAborted(outcome);

      const again = await stopChat(chatId);
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ statusCode: 409, status: 'finished' });
      const unknown = await stopChat(nextChat('never-started'));
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    });

    it('the client aborts its fetch (abortSignal): with the default onDisconnect the upstream call is closed and the log says cancelled', async () => {
      const prompt = `ui client abort ${mode}`;
      upstream.script(prompt, { tokens: words('c', 40), delayMs: 60 });
      const leaving = new AbortController();
      let leftAt = 0;
      const read = await client.send({
        chatId: nextChat('client-abort'),
        messages: [userText(prompt)],
        abortSignal: leaving.signal,
        stopAfter: (chunks) => {
          if (afterDeltas(3)(chunks) && !leaving.signal.aborted) {
            leftAt = Date.now();
            leaving.abort();
          }
          return false;
        },
      });

      expect(textOf(read.message)).toMatch(/^c0 c1 c2 /);
      const abortedAt = await within(
        'the upstream socket to close',
        upstream.requestsFor(prompt)[0].aborted,
        5_000,
      );
      expect(abortedAt - leftAt).toBeLessThan(CANCEL_BOUND_MS);
      const requestId = read.wire.headers.get('x-request-id') ?? '';
      await noStreamLeft();
      expect(endReason(await nativeReplay(requestId))).toBe('cancelled');
    });

    it('Chat.stop(): the chat is ready with the text so far, and the upstream call is closed', async () => {
      const prompt = `ui chat stop ${mode}`;
      upstream.script(prompt, { tokens: words('s', 40), delayMs: 60 });
      const chat = new NodeChat({ id: nextChat('chat-stop'), transport: client.transport });

      const sending = chat.sendMessage({ text: prompt });
      await waitFor('three answer words shown', () => answerWords(chat) >= 3);
      const stoppedAt = Date.now();
      await chat.stop();
      await sending;

      expect(chat.status).toBe('ready');
      expect(chat.error).toBeUndefined();
      expect(chat.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(textOf(chat.lastMessage)).toMatch(/^s0 s1 s2 /);
      const abortedAt = await within(
        'the upstream socket to close',
        upstream.requestsFor(prompt)[0].aborted,
        5_000,
      );
      expect(abortedAt - stoppedAt).toBeLessThan(CANCEL_BOUND_MS);
    });
  });

  describe('resume', () => {
    it("a cut connection with onDisconnect 'continue': reconnectToStream replays from the start, then follows live, into the same message", async () => {
      const prompt = `ui resume ${mode}`;
      upstream.script(prompt, { tokens: words('r', 10), delayMs: 200 });
      const reference = await client.send({
        chatId: nextChat('reference'),
        messages: [userText(prompt)],
      });
      const chatId = nextChat('resume');

      const cut = await proxiedClient.send({
        chatId,
        messages: [userText(prompt)],
        body: { onDisconnect: 'continue' },
        stopAfter: (chunks) => {
          if (afterDeltas(3)(chunks)) proxy.cutAll();
          return false;
        },
      });
      const requestId = (cut.chunks[0].chunk as { messageId: string }).messageId;
      const seen = deltasOf(cut).length;
      expect(cut.errors.length).toBeGreaterThan(0);
      expect(chunkTypes(cut)).not.toContain('finish');

      const resumed = await client.reconnect(chatId);

      expect(resumed).not.toBeNull();
      const replay = resumed!;
      expect(replay.wire.status).toBe(200);
      expect(replay.wire.headers.get('x-request-id')).toBe(requestId);
      expect(replay.wire.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
      expect(replay.chunks[0].chunk).toEqual({ type: 'start', messageId: requestId });
      expect(chunkTypes(replay)).toEqual(chunkTypes(reference));
      expect(replay.message?.id).toBe(requestId);
      expect(partsOf(replay.message)).toEqual(partsOf(reference.message));
      expect(textOf(replay.message)).toBe(words('r', 10).join(''));
      // What was already made comes at once; the rest at the model's pace.
      const deltas = deltasOf(replay);
      expect(deltas[seen - 1].at - replay.chunks[0].at).toBeLessThan(250);
      expect(deltas.at(-1)!.at - deltas[seen - 1].at).toBeGreaterThan(3 * 200);
      // One upstream call per generation: the reference's and the cut one's, never a third.
      const calls = upstream.requestsFor(prompt);
      expect(calls).toHaveLength(2);
      expect(calls[1].abortedAt).toBeUndefined();
      await expectValidWire(replay);
    });

    it('Chat: a network cut puts the chat in error; resumeStream() completes the same assistant message', async () => {
      const prompt = `ui chat resume ${mode}`;
      upstream.script(prompt, { tokens: words('q', 10), delayMs: 150 });
      const chat = new NodeChat({
        id: nextChat('chat-resume'),
        transport: new UiChatClient({ baseUrl: proxyUrl }).transport,
      });

      const sending = chat.sendMessage({ text: prompt }, { body: { onDisconnect: 'continue' } });
      await waitFor('three answer words shown', () => answerWords(chat) >= 3);
      proxy.cutAll();
      await sending;
      expect(chat.status).toBe('error');
      const messageId = chat.lastMessage?.id;

      await chat.resumeStream();

      expect(chat.status).toBe('ready');
      expect(chat.error).toBeUndefined();
      expect(chat.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(chat.lastMessage?.id).toBe(messageId);
      expect(textOf(chat.lastMessage)).toBe(words('q', 10).join(''));
      expect(upstream.requestsFor(prompt)).toHaveLength(1);
    });

    it('204 (reconnectToStream gives null) once the generation ended, and for a chat never seen', async () => {
      const prompt = `ui resume after end ${mode}`;
      upstream.script(prompt, { tokens: ['done.'] });
      const chatId = nextChat('ended');
      await client.send({ chatId, messages: [userText(prompt)] });
      await noStreamLeft();

      expect(await client.reconnect(chatId)).toBeNull();
      expect(await client.reconnect(nextChat('unknown'))).toBeNull();
      const raw = await fetch(`${service.url}/api/ui/chat/${chatId}/stream`);
      expect(raw.status).toBe(204);
      expect(await raw.text()).toBe('');
    });

    it('stop during a resumed stream: the resumed stream ends with abort and the upstream call is closed', async () => {
      const prompt = `ui stop resumed ${mode}`;
      upstream.script(prompt, { tokens: words('x', 40), delayMs: 60 });
      const chatId = nextChat('stop-resumed');
      await client.send({
        chatId,
        messages: [userText(prompt)],
        body: { onDisconnect: 'continue' },
        stopAfter: afterDeltas(2),
      });
      let stopping: Promise<Response> | undefined;
      let stopSentAt = 0;

      const resumed = await client.reconnect(chatId, {
        stopAfter: (chunks) => {
          if (!stopping && afterDeltas(6)(chunks)) {
            stopSentAt = Date.now();
            stopping = stopChat(chatId);
          }
          return false;
        },
      });

      expect((await stopping)?.status).toBe(202);
      expect(chunkTypes(resumed!).at(-1)).toBe('abort');
      expect(chunkTypes(resumed!)).not.toContain('finish');
      const abortedAt = await within(
        'the upstream socket to close',
        upstream.requestsFor(prompt)[0].aborted,
        5_000,
      );
      expect(abortedAt - stopSentAt).toBeLessThan(CANCEL_BOUND_MS);
      await expectValidWire(resumed!);
    });

    if (mode === 'redis') {
      it('another instance on the same Redis resumes the chat from the start and stops it', async () => {
        const prompt = `ui other instance ${mode}`;
        upstream.script(prompt, { tokens: words('o', 30), delayMs: 60 });
        const chatId = nextChat('other-instance');
        const cut = await client.send({
          chatId,
          messages: [userText(prompt)],
          body: { onDisconnect: 'continue' },
          stopAfter: afterDeltas(2),
        });
        const messageId = (cut.chunks[0].chunk as { messageId: string }).messageId;
        let stopping: Promise<Response> | undefined;
        let stopSentAt = 0;

        // demo is a second instance: its own process state, only the Redis log in common.
        const resumed = await demoClient.reconnect(chatId, {
          stopAfter: (chunks) => {
            if (!stopping && afterDeltas(5)(chunks)) {
              stopSentAt = Date.now();
              stopping = fetch(`${demo.url}/api/ui/chat/${chatId}/stop`, { method: 'POST' });
            }
            return false;
          },
        });

        expect(resumed?.chunks[0].chunk).toEqual({ type: 'start', messageId });
        expect(textOf(resumed?.message)).toMatch(/^o0 o1 o2 o3 o4 /);
        expect((await stopping)?.status).toBe(202);
        expect(chunkTypes(resumed!).at(-1)).toBe('abort');
        const abortedAt = await within(
          'the upstream socket to close',
          upstream.requestsFor(prompt)[0].aborted,
          5_000,
        );
        expect(abortedAt - stopSentAt).toBeLessThan(CANCEL_BOUND_MS);
        await expectValidWire(resumed!);
      });
    }
  });

  describe('Chat flow', () => {
    it('two turns with the agent: the second request carries the first answer as text only; usage reaches onData, never the message', async () => {
      const first = `ui chat flow: what is 6 * 7? (${mode})`;
      const second = `ui chat flow: and doubled? (${mode})`;
      upstream.scriptTurns(first, [
        {
          tokens: [],
          toolCalls: [jsonToolCall('call_flow', 'calculator', { expression: '6 * 7' })],
        },
        { tokens: ['It is ', '42.'], usage: { prompt_tokens: 30, completion_tokens: 3 } },
      ]);
      upstream.script(second, { tokens: ['84.'] });
      const data: unknown[] = [];
      const finished: { isAbort: boolean; isError: boolean; finishReason?: string }[] = [];
      const chat = new NodeChat({
        id: nextChat('flow'),
        transport: client.transport,
        onData: (part) => data.push(part),
        onFinish: ({ isAbort, isError, finishReason }) =>
          finished.push({ isAbort, isError, finishReason }),
      });

      await chat.sendMessage({ text: first }, { body: { pipeline: 'agent' } });
      await chat.sendMessage({ text: second }, { body: { pipeline: 'agent' } });

      expect(chat.status).toBe('ready');
      expect(chat.statuses).toEqual([
        'ready',
        'submitted',
        'streaming',
        'ready',
        'submitted',
        'streaming',
        'ready',
      ]);
      expect(chat.messages.map((message) => message.role)).toEqual([
        'user',
        'assistant',
        'user',
        'assistant',
      ]);
      expect(chat.messages[1].parts.map((part) => part.type)).toEqual([
        'step-start',
        'tool-calculator',
        'step-start',
        'text',
      ]);
      expect(textOf(chat.messages[3])).toBe('84.');
      expect(finished).toEqual([
        { isAbort: false, isError: false, finishReason: 'stop' },
        { isAbort: false, isError: false, finishReason: 'stop' },
      ]);
      expect(data).toContainEqual({
        type: 'data-usage',
        data: expect.objectContaining({ inputTokens: expect.any(Number) as number }) as object,
        transient: true,
      });
      expect(
        chat.messages.flatMap((message) => message.parts).map((part) => part.type),
      ).not.toContain('data-usage');
      const [followUp, ...more] = upstream.requestsFor(second);
      expect(more).toHaveLength(0);
      const conversation = followUp.body.messages.filter((message) => message.role !== 'system');
      expect(conversation).toEqual([
        { role: 'user', content: first },
        { role: 'assistant', content: 'It is 42.' },
        { role: 'user', content: second },
      ]);
    });
    it('regenerate(): the answer is replaced by a new generation of the same conversation, which resume and stop now address', async () => {
      const prompt = `ui regenerate ${mode}`;
      upstream.script(prompt, { tokens: ['first.'] });
      const chat = new NodeChat({ id: nextChat('regenerate'), transport: client.transport });
      await chat.sendMessage({ text: prompt });
      const firstAnswer = chat.lastMessage;
      upstream.script(prompt, { tokens: words('g', 30), delayMs: 60 });

      const regenerating = chat.regenerate();
      await waitFor('the new answer streaming', () => answerWords(chat) >= 2);
      const stopped = await stopChat(chat.id);
      await regenerating;

      expect(stopped.status).toBe(202);
      expect(chat.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(chat.lastMessage?.id).not.toBe(firstAnswer?.id);
      expect(textOf(chat.lastMessage)).toMatch(/^g0 g1 /);
      const [first, second, ...more] = upstream.requestsFor(prompt);
      expect(more).toHaveLength(0);
      expect(second.body.messages).toEqual(first.body.messages);
      await within('the upstream socket to close', second.aborted, 5_000);
      expect(first.abortedAt).toBeUndefined();
    });
  });

  describe('bad input', () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${service.url}/api/ui/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const user = (parts: unknown[]) => ({ id: 'u1', role: 'user', parts });
    const valid = (marker: string) => ({
      id: `bad-${mode}`,
      messages: [user([{ type: 'text', text: marker }])],
      trigger: 'submit-message',
    });

    it.each<[string, (marker: string) => unknown]>([
      [
        'a file part in a user message',
        (marker) => ({
          ...valid(marker),
          messages: [
            user([
              { type: 'file', mediaType: 'image/png', url: 'data:image/png;base64,AAAA' },
              { type: 'text', text: marker },
            ]),
          ],
        }),
      ],
      [
        'an unknown part type',
        (marker) => ({
          ...valid(marker),
          messages: [
            user([
              { type: 'text', text: marker },
              { type: 'custom-widget', x: 1 },
            ]),
          ],
        }),
      ],
      [
        "the service's own output part in a user message",
        (marker) => ({
          ...valid(marker),
          messages: [
            user([
              { type: 'reasoning', text: 'hmm' },
              { type: 'text', text: marker },
            ]),
          ],
        }),
      ],
      ['no chat id', (marker) => ({ ...valid(marker), id: undefined })],
      ['a chat id with a space', (marker) => ({ ...valid(marker), id: 'a b' })],
      ['no messages', (marker) => ({ ...valid(marker), messages: [], note: marker })],
      ['messages not an array', (marker) => ({ ...valid(marker), messages: marker })],
      [
        'a message without parts',
        (marker) => ({ ...valid(marker), messages: [{ id: 'u', role: 'user', text: marker }] }),
      ],
      [
        'a role the SDK does not send',
        (marker) => ({
          ...valid(marker),
          messages: [{ id: 't', role: 'tool', parts: [{ type: 'text', text: marker }] }],
        }),
      ],
      [
        'a text part without text',
        (marker) => ({ ...valid(marker), messages: [user([{ type: 'text', value: marker }])] }),
      ],
      [
        'a blank message',
        (marker) => ({
          ...valid(marker),
          messages: [user([{ type: 'text', text: '   ' }])],
          note: marker,
        }),
      ],
      ['temperature as a string', (marker) => ({ ...valid(marker), temperature: '0.5' })],
      ['maxTokens 0', (marker) => ({ ...valid(marker), maxTokens: 0 })],
      ['an unknown trigger', (marker) => ({ ...valid(marker), trigger: 'resume-stream' })],
      ['an unknown onDisconnect', (marker) => ({ ...valid(marker), onDisconnect: 'later' })],
      ['an unknown body field', (marker) => ({ ...valid(marker), stream: true })],
      ['an unknown pipeline', (marker) => ({ ...valid(marker), pipeline: 'no-such-pipeline' })],
      [
        'no prompt at all: only output parts of an earlier answer',
        (marker) => ({
          ...valid(marker),
          messages: [
            {
              id: 'a1',
              role: 'assistant',
              parts: [{ type: 'step-start' }, { type: 'reasoning', text: marker, state: 'done' }],
            },
          ],
        }),
      ],
    ])("%s: 400 in Nest's shape, nothing started, no upstream call", async (label, make) => {
      const marker = `bad input ${label} ${mode}`;
      // Slow, so a generation started by mistake would still be running to be found below.
      upstream.script(marker, { tokens: words('z', 20), delayMs: 50 });
      const before = upstream.requests.length;

      const response = await post(make(marker));

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.anything() as unknown,
      });
      await sleep(50);
      expect(upstream.requests.length).toBe(before);
      expect((await fetch(`${service.url}/api/ui/chat/bad-${mode}/stream`)).status).toBe(204);
    });

    it('the transport surfaces a 400 as an error with the JSON body', async () => {
      await expect(
        client.send({
          chatId: nextChat('bad-transport'),
          messages: [
            { id: 'u', role: 'user', parts: [{ type: 'file', mediaType: 'text/plain', url: 'x' }] },
          ],
        }),
      ).rejects.toThrow(/"statusCode":400/);
    });

    it("earlier assistant messages: the service's own output parts are ignored, their text is the history", async () => {
      const prompt = `ui history ${mode}`;
      upstream.script(prompt, { tokens: ['ok'] });
      const response = await post({
        id: nextChat('history'),
        trigger: 'submit-message',
        messages: [
          user([{ type: 'text', text: 'What is 6*7?' }]),
          {
            id: 'a1',
            role: 'assistant',
            parts: [
              { type: 'step-start' },
              { type: 'reasoning', text: 'Use the calculator.', state: 'done' },
              {
                type: 'tool-calculator',
                toolCallId: 'call_1',
                state: 'output-available',
                input: { expression: '6*7' },
                output: '42',
              },
              { type: 'data-note', data: { x: 1 } },
              { type: 'step-start' },
              { type: 'text', text: 'It is 42.', state: 'done' },
            ],
          },
          { id: 'u2', role: 'user', parts: [{ type: 'text', text: prompt }] },
        ],
      });

      expect(response.status).toBe(200);
      await response.text();
      expect(upstream.requestsFor(prompt)[0].body.messages).toEqual([
        { role: 'user', content: 'What is 6*7?' },
        { role: 'assistant', content: 'It is 42.' },
        { role: 'user', content: prompt },
      ]);
    });
  });

  describe('API keys', () => {
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const keyedClient = (key: string) =>
      new UiChatClient({ baseUrl: keyed.url, headers: auth(key) });

    it("401 in Nest's shape without a key on every route, and no upstream call", async () => {
      const before = upstream.requests.length;
      const chatId = nextChat('no-key');
      const answers = await Promise.all([
        fetch(`${keyed.url}/api/ui/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: chatId, messages: [userText('hello')] }),
        }),
        fetch(`${keyed.url}/api/ui/chat/${chatId}/stream`),
        fetch(`${keyed.url}/api/ui/chat/${chatId}/stop`, {
          method: 'POST',
          headers: auth('not-a-key'),
        }),
      ]);
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(await answer.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
      expect(upstream.requests.length).toBe(before);
    });

    it("another key can neither resume nor stop this key's chat, even under the same chat id", async () => {
      const prompt = `ui keyed ${mode}`;
      const other = `ui keyed other ${mode}`;
      upstream.script(prompt, { tokens: words('k', 40), delayMs: 60 });
      upstream.script(other, { tokens: ['b.'] });
      const chatId = nextChat('keyed');
      const alice = keyedClient(KEY_A);
      const bob = keyedClient(KEY_B);
      const started = await alice.send({
        chatId,
        messages: [userText(prompt)],
        body: { onDisconnect: 'continue' },
        stopAfter: afterDeltas(2),
      });
      const messageId = (started.chunks[0].chunk as { messageId: string }).messageId;

      expect(await bob.reconnect(chatId)).toBeNull();
      const bobStop = await fetch(`${keyed.url}/api/ui/chat/${chatId}/stop`, {
        method: 'POST',
        headers: auth(KEY_B),
      });
      expect(bobStop.status).toBe(404);
      // Bob's own chat of the same id is his alone and leaves Alice's pointing at hers.
      const bobs = await bob.send({ chatId, messages: [userText(other)] });
      expect(textOf(bobs.message)).toBe('b.');
      expect(upstream.requestsFor(prompt)[0].abortedAt).toBeUndefined();

      const resumed = await alice.reconnect(chatId, { stopAfter: afterDeltas(4) });
      expect(resumed?.chunks[0].chunk).toEqual({ type: 'start', messageId });
      const aliceStop = await fetch(`${keyed.url}/api/ui/chat/${chatId}/stop`, {
        method: 'POST',
        headers: auth(KEY_A),
      });
      expect(aliceStop.status).toBe(202);
      await within('the upstream socket to close', upstream.requestsFor(prompt)[0].aborted, 5_000);
      await noStreamLeft(keyed);
    });
  });
});

/**
 * Redis failing between the generation's claim and the chat's alias (a blip or failover between
 * two commands). Made exact with an ACL that refuses writes to alias keys only.
 */
describe('AI SDK view: the log fails between the claim and the chat alias (Redis)', () => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer;
  let admin: Redis;
  let service: RunningApp;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
    service = await startApp(
      openAiEnv(await upstream.start(), { REDIS_URL: redis.url, MAX_CONCURRENT_STREAMS: '1' }),
    );
  }, 30_000);

  afterAll(async () => {
    admin?.disconnect();
    await service?.close();
    await redis?.stop();
    await upstream.close();
  });

  const refuseAliasWrites = (refuse: boolean) =>
    refuse
      ? admin.call('ACL', 'SETUSER', 'default', 'resetkeys', '~sg:{*}:events', '~sg:{*}:meta')
      : admin.call('ACL', 'SETUSER', 'default', 'allkeys');
  /** The status of every stream in the log. */
  const streamStatuses = async (): Promise<string[]> => {
    const metas = await admin.keys('sg:*:meta');
    return Promise.all(metas.map(async (key) => (await admin.hget(key, 'status')) ?? '?'));
  };

  it('503, no upstream call, and nothing left behind: the place is free and the claimed stream ended', async () => {
    upstream.script('ui alias refused', { tokens: ['never'] });
    upstream.script('ui after the outage', { tokens: ['fine.'] });
    const client = new UiChatClient({ baseUrl: service.url });
    await refuseAliasWrites(true);

    const refused = await fetch(`${service.url}/api/ui/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'alias-refused', messages: [userText('ui alias refused')] }),
    });
    await refuseAliasWrites(false);

    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    await waitFor('the lease given back', () => service.app.get(AbortService).runningCount === 0);
    await waitFor(
      'the claimed stream ended in the log',
      async () => (await streamStatuses()).join() === 'finished',
    );
    expect(upstream.requestsFor('ui alias refused')).toHaveLength(0);
    // MAX_CONCURRENT_STREAMS is 1: the next chat gets the place the failed one held.
    const next = await client.send({
      chatId: 'after-outage',
      messages: [userText('ui after the outage')],
    });
    expect(textOf(next.message)).toBe('fine.');
  });
});
