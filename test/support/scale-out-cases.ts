import { startAppProcess, type AppProcess } from './app-process';
import { FakeOpenAIServer } from './fake-openai-server';
import { startNginx, type RunningNginx } from './nginx';
import { openAiEnv } from './openai-env';
import type { SharedRedis } from './shared-redis';
import {
  dataOf,
  endReason,
  readStream,
  tokenText,
  type ReceivedEvent,
  type StreamResult,
} from './sse-client';

const TOKENS = Array.from({ length: 40 }, (_, index) => `t${index} `);

/** What a client can compare across transcripts: id, name and data of every event. */
const shape = (events: ReceivedEvent[]) =>
  events.map(({ id, event, data }) => ({ id, event, data }));

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Two instances behind real nginx sharing `startRedis()`'s Redis (one server or a cluster): late
 * join, identical bytes for every reader, shared connections, resume, cross-instance cancel, id
 * reuse, an outage of the server holding a stream mid-stream, and instance death.
 */
export function describeScaleOut(name: string, startRedis: () => Promise<SharedRedis>): void {
  describe(`two instances behind real nginx, sharing ${name}`, () => {
    const upstream = new FakeOpenAIServer();
    let redis: SharedRedis;
    let env: Record<string, string>;
    let a: AppProcess;
    let b: AppProcess;
    let proxy: RunningNginx;
    let counter = 0;
    const nextId = (label: string): string => `${label}-${Date.now()}-${counter++}`;

    beforeAll(async () => {
      redis = await startRedis();
      env = openAiEnv(await upstream.start(), {
        ...redis.env,
        STREAM_TTL_S: String(redis.streamTtlSeconds),
        STREAM_IDLE_TIMEOUT_MS: String(redis.streamTtlSeconds * 1000),
      });
      [a, b] = await Promise.all([startAppProcess(env), startAppProcess(env)]);
      proxy = await startNginx([a.port, b.port]);
    }, 60_000);

    afterAll(async () => {
      await proxy?.stop();
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.stop();
      await upstream.close();
    });

    const attach = (base: string, id: string, lastEventId?: number): Promise<StreamResult> =>
      readStream(`${base}/api/chat/streams/${id}`, {
        method: 'GET',
        headers: lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) },
      });

    const startDetached = async (base: string, id: string, prompt: string): Promise<Response> =>
      fetch(`${base}/api/chat/streams`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ query: prompt }),
      });

    it('starts on A, attaches late on B from id 0 and loses nothing', async () => {
      upstream.script('late join', { tokens: TOKENS, delayMs: 15 });
      const id = nextId('late');
      const started = await startDetached(a.url, id, 'late join');
      expect(started.status).toBe(202);
      expect(started.headers.get('location')).toBe(`/api/chat/streams/${id}`);
      expect(await started.json()).toEqual({ requestId: id, streamUrl: `/api/chat/streams/${id}` });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const onB = await attach(b.url, id);
      expect(onB.status).toBe(200);
      expect(onB.headers.get('x-request-id')).toBe(id);
      expect(tokenText(onB)).toBe(TOKENS.join(''));
      expect(
        onB.events
          .map((event) => event.id)
          .filter(Boolean)
          .map(Number),
      ).toEqual(Array.from({ length: 43 }, (_, index) => index));
      expect(endReason(onB)).toBe('stop');
      const onA = await attach(a.url, id);
      expect(onA.raw).toBe(onB.raw);
    });

    it('gives the live client and three attachers (A, B, nginx) identical bytes', async () => {
      upstream.script('many readers', { tokens: TOKENS, delayMs: 20 });
      const id = nextId('many');
      const live = readStream(`${a.url}/api/chat/stream`, {
        body: { query: 'many readers' },
        headers: { 'x-request-id': id },
      });
      await waitFor(() => upstream.requestsFor('many readers').length > 0);
      const readers = await Promise.all([
        attach(a.url, id),
        attach(b.url, id),
        attach(proxy.url, id),
      ]);
      const liveResult = await live;
      expect(tokenText(liveResult)).toBe(TOKENS.join(''));
      for (const reader of readers) expect(reader.raw).toBe(liveResult.raw);
    });

    it('serves 300 attached readers through one pub/sub connection per process', async () => {
      upstream.script('crowd', { tokens: TOKENS, delayMs: 20 });
      const id = nextId('crowd');
      expect((await startDetached(a.url, id, 'crowd')).status).toBe(202);
      const readers = Array.from({ length: 300 }, (_, index) =>
        attach(index % 2 === 0 ? b.url : proxy.url, id),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await redis.expectSharedConnections(id, 2);
      const results = await Promise.all(readers);
      for (const result of results) expect(result.raw).toBe(results[0].raw);
      expect(tokenText(results[0])).toBe(TOKENS.join(''));
    });

    it('resumes through nginx after a drop at any point: no gap, no duplicate', async () => {
      upstream.script('resume', { tokens: TOKENS, delayMs: 8 });
      const full = 42; // start 0, tokens 1..40, usage 41, end 42
      for (const dropAfter of [0, 1, 2, 7, 19, 20, 33, 39, 40, 41, full]) {
        const id = nextId(`drop${dropAfter}`);
        const controller = new AbortController();
        const first = await readStream(`${proxy.url}/api/chat/stream`, {
          body: { query: 'resume', onDisconnect: 'continue' },
          headers: { 'x-request-id': id },
          signal: controller.signal,
          onEvent: (event) => {
            if (event.id !== String(dropAfter)) return false;
            controller.abort();
            return true;
          },
        });
        const kept = first.events.filter((event) => event.id !== undefined);
        expect(kept.at(-1)?.id).toBe(String(dropAfter));
        const rest = await attach(proxy.url, id, dropAfter);
        if (dropAfter === full) {
          expect(rest.status).toBe(204);
          continue;
        }
        expect(rest.status).toBe(200);
        const joined = shape([...kept, ...rest.events]);
        const reference = await attach(proxy.url, id);
        expect(joined).toEqual(shape(reference.events));
        expect(tokenText(reference)).toBe(TOKENS.join(''));
      }
    }, 60_000);

    it('a cancel that lands on B stops the generation on A and ends every reader', async () => {
      upstream.script('cancel across', { tokens: TOKENS, delayMs: 50 });
      const id = nextId('xcancel');
      let deletedAt = 0;
      let deleting: Promise<Response> | undefined;
      const attached = (async () => {
        await waitFor(() => upstream.requestsFor('cancel across').length > 0);
        return attach(b.url, id);
      })();
      const live = await readStream(`${a.url}/api/chat/stream`, {
        body: { query: 'cancel across' },
        headers: { 'x-request-id': id },
        onEvent: (event) => {
          if (event.id !== '4') return;
          deletedAt = Date.now();
          deleting = fetch(`${b.url}/api/chat/streams/${id}`, { method: 'DELETE' });
        },
      });
      expect((await deleting)?.status).toBe(202);
      expect(endReason(live)).toBe('cancelled');
      expect(endReason(await attached)).toBe('cancelled');
      const abortedAt = await upstream.requestsFor('cancel across')[0].aborted;
      expect(abortedAt - deletedAt).toBeLessThan(500);
      expect((await fetch(`${b.url}/api/chat/streams/${id}`, { method: 'DELETE' })).status).toBe(
        409,
      );
    });

    it('refuses a reused id on the other instance within the TTL, and forgets it after', async () => {
      upstream.script('short', { tokens: ['a'] });
      const id = nextId('ttl');
      const first = await readStream(`${a.url}/api/chat/stream`, {
        body: { query: 'short' },
        headers: { 'x-request-id': id },
      });
      expect(endReason(first)).toBe('stop');
      const reused = await fetch(`${b.url}/api/chat/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ query: 'short' }),
      });
      expect(reused.status).toBe(409);
      expect((await attach(b.url, id)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, redis.streamTtlSeconds * 1000 + 200));
      expect((await attach(b.url, id)).status).toBe(404);
      expect((await fetch(`${a.url}/api/chat/streams/${id}`, { method: 'DELETE' })).status).toBe(
        404,
      );
    }, 20_000);

    it('keeps streaming while the server holding the stream is down, answers 503 to attach meanwhile, and heals with nothing acknowledged lost', async () => {
      upstream.script('outage', { tokens: TOKENS, delayMs: 60 });
      const id = nextId('outage');
      let attachDuring = 0;
      let readyDuring = 0;
      // Acknowledged: entries Redis had answered OK to (and, with appendfsync always, written to
      // its append-only file) when it went down, read back from the server itself just before.
      let acknowledged: number[] = [];
      let outage: Promise<void> | undefined;
      const live = await readStream(`${a.url}/api/chat/stream`, {
        body: { query: 'outage' },
        headers: { 'x-request-id': id },
        onEvent: (event) => {
          if (event.id !== '5') return;
          outage = (async () => {
            await waitFor(async () => (await redis.storedIds(id)).length >= 5);
            acknowledged = await redis.storedIds(id);
            const bringBack = await redis.takeDown(id);
            try {
              await waitFor(async () => (await fetch(`${a.url}/health/ready`)).status === 503);
              readyDuring = 503;
              attachDuring = (await attach(b.url, id)).status;
            } finally {
              await bringBack();
            }
          })();
        },
      });
      await outage;
      // The client of the running stream never noticed.
      expect(tokenText(live)).toBe(TOKENS.join(''));
      expect(endReason(live)).toBe('stop');
      expect(readyDuring).toBe(503);
      expect(attachDuring).toBe(503);
      await waitFor(async () => (await fetch(`${a.url}/health/ready`)).status === 200);
      await waitFor(async () => (await fetch(`${b.url}/health/ready`)).status === 200);
      // Everything written during the outage was retried: the log is whole, and a reader that
      // resumes after the last acknowledged entry gets the rest with contiguous ids.
      let replay: StreamResult | undefined;
      await waitFor(async () => {
        replay = await attach(b.url, id);
        return replay.status === 200 && endReason(replay) === 'stop';
      });
      expect(replay?.raw).toBe(live.raw);
      expect(acknowledged.length).toBeGreaterThanOrEqual(5);
      const stored = await redis.storedIds(id);
      expect(stored.slice(0, acknowledged.length)).toEqual(acknowledged);
      expect(stored).toEqual(Array.from({ length: stored.length }, (_, index) => index));
      const lastAcknowledged = acknowledged.at(-1)!;
      const resumed = await attach(b.url, id, lastAcknowledged);
      const resumedIds = resumed.events
        .filter((event) => event.id)
        .map((event) => Number(event.id));
      expect(resumedIds).toEqual(stored.slice(lastAcknowledged + 1));
    }, 45_000);

    it('ends attached readers with error + end when the generating instance dies', async () => {
      const c = await startAppProcess(env);
      upstream.script('doomed', { tokens: TOKENS, delayMs: 100 });
      const id = nextId('doomed');
      expect((await startDetached(c.url, id, 'doomed')).status).toBe(202);
      let killedAt = 0;
      const reader = await readStream(`${b.url}/api/chat/streams/${id}`, {
        method: 'GET',
        onEvent: (event) => {
          if (event.id !== '3' || killedAt) return;
          killedAt = Date.now();
          void c.kill();
        },
      });
      const ended = reader.events.find((event) => event.event === 'end');
      expect(dataOf(reader, 'error')).toEqual([
        { code: 'internal_error', message: expect.any(String) as string, retryable: true },
      ]);
      expect(endReason(reader)).toBe('error');
      expect(reader.events.at(-1)?.data).toBe('[DONE]');
      const ids = reader.events.filter((event) => event.id).map((event) => Number(event.id));
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, index) => index));
      // Bounded: the instance lease (3 s) plus one poll (1 s), with slack.
      expect(ended!.at).toBeGreaterThan(0);
      expect(Date.now() - killedAt).toBeLessThan(8_000);
    }, 30_000);
  });
}
