import Redis from 'ioredis';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { waitUntil } from './support/gateway-probes';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import { endReason, readStream, tokenText, type StreamResult } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';

const KEY_A = 'alpha-key-5c1e07f3';
const KEY_B = 'bravo-key-9a64d2b8';
const words = (prefix: string): string[] => Array.from({ length: 30 }, (_, i) => `${prefix}${i} `);
const A_WORDS = words('a');
const B_WORDS = words('b');
type LogMode = 'memory' | 'redis';

/** What a client can compare across transcripts: id, name and data of every event. */
const shape = (result: StreamResult) =>
  result.events.map(({ id, event, data }) => ({ id, event, data }));

/**
 * X-Request-Id is scoped to the API key that uses it. Before c2c2013 ids were global: key B
 * reusing key A's id got 409 (for as long as A's stream was held), which told B the id existed
 * and let it squat on ids A was about to use, while attach and cancel said 404.
 */
describe.each<LogMode>(['memory', 'redis'])(
  'request ids scoped to their API key (%s log)',
  (mode) => {
    const upstream = new FakeOpenAIServer();
    let redis: RedisServer | undefined;
    let service: RunningApp;
    let counter = 0;
    const nextId = (label: string): string => `${label}-${mode}-${counter++}`;

    beforeAll(async () => {
      redis = mode === 'redis' ? await RedisServer.start() : undefined;
      const env = { API_KEYS: `${KEY_A},${KEY_B}`, ...(redis ? { REDIS_URL: redis.url } : {}) };
      service = await startApp(openAiEnv(await upstream.start(), env));
      upstream.script('alpha story', { tokens: A_WORDS, delayMs: 40 });
      upstream.script('bravo story', { tokens: B_WORDS, delayMs: 40 });
    }, 30_000);

    afterAll(async () => {
      await service?.close();
      await redis?.stop();
      await upstream.close();
    });

    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const start = (key: string, id: string, query: string): Promise<StreamResult> =>
      readStream(`${service.url}/api/chat/stream`, {
        body: { query },
        headers: { ...auth(key), 'x-request-id': id },
      });
    const attach = (key: string, id: string): Promise<StreamResult> =>
      readStream(`${service.url}/api/chat/streams/${id}`, { method: 'GET', headers: auth(key) });
    const cancel = async (key: string, id: string): Promise<number> =>
      (
        await fetch(`${service.url}/api/chat/streams/${id}`, {
          method: 'DELETE',
          headers: auth(key),
        })
      ).status;
    const callsSoFar = (prompt: string): number => upstream.requestsFor(prompt).length;

    it("B starts a stream under A's running id: its own; attach and cancel reach only its own", async () => {
      const id = nextId('shared');
      const aCalls = callsSoFar('alpha story');
      const bCalls = callsSoFar('bravo story');
      const aLive = start(KEY_A, id, 'alpha story');
      await waitUntil("A's upstream call", () => callsSoFar('alpha story') > aCalls);

      let bAnswered = false;
      const bLive = start(KEY_B, id, 'bravo story').finally(() => (bAnswered = true));
      await waitUntil("B's upstream call", () => bAnswered || callsSoFar('bravo story') > bCalls);
      // Refused at once (the id "exists") is what B must not see.
      if (bAnswered) expect((await bLive).status).toBe(200);
      const bAttached = attach(KEY_B, id);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await cancel(KEY_B, id)).toBe(202);

      const [a, b, bAttach] = await Promise.all([aLive, bLive, bAttached]);
      expect(b.status).toBe(200);
      expect(b.headers.get('x-request-id')).toBe(id);
      expect(endReason(b)).toBe('cancelled');
      expect(tokenText(b)).toMatch(/^(b\d+ )+$/);
      expect(tokenText(bAttach)).toBe(tokenText(b));
      expect(endReason(bAttach)).toBe('cancelled');
      // A's stream never noticed: every token, its normal end, its upstream call not aborted.
      expect(tokenText(a)).toBe(A_WORDS.join(''));
      expect(endReason(a)).toBe('stop');
      expect(upstream.requestsFor('alpha story').at(-1)?.abortedAt).toBeUndefined();

      // Ended, each is attachable by its owner only, and each owner sees its own transcript.
      expect(shape(await attach(KEY_A, id))).toEqual(shape(a));
      expect(shape(await attach(KEY_B, id))).toEqual(shape(b));
      expect(await cancel(KEY_A, id)).toBe(409);
      expect(await cancel(KEY_B, id)).toBe(409);
    });

    it('an id only A used is unknown to B (404), running or ended, and B may use it after', async () => {
      const id = nextId('alpha-only');
      const aCalls = callsSoFar('alpha story');
      const aLive = start(KEY_A, id, 'alpha story');
      await waitUntil("A's upstream call", () => callsSoFar('alpha story') > aCalls);
      expect((await attach(KEY_B, id)).status).toBe(404);
      expect(await cancel(KEY_B, id)).toBe(404);
      const a = await aLive;
      expect(tokenText(a)).toBe(A_WORDS.join(''));
      expect(endReason(a)).toBe('stop');

      expect((await attach(KEY_B, id)).status).toBe(404);
      expect(await cancel(KEY_B, id)).toBe(404);
      // Within STREAM_TTL_S of A's end: B is not told the id exists, nor kept from using it.
      const b = await start(KEY_B, id, 'bravo story');
      expect(b.status).toBe(200);
      expect(tokenText(b)).toBe(B_WORDS.join(''));
      expect(shape(await attach(KEY_A, id))).toEqual(shape(a));
      // A, for its part, still cannot reuse its own id while the log holds it.
      const again = await fetch(`${service.url}/api/chat/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(KEY_A), 'x-request-id': id },
        body: JSON.stringify({ query: 'alpha story' }),
      });
      expect(again.status).toBe(409);
    });

    if (mode === 'redis') {
      it('Redis holds digests of the API keys, never the keys (keys, values, pub/sub)', async () => {
        const id = nextId('stored');
        const admin = new Redis(redis?.url ?? '');
        const listener = new Redis(redis?.url ?? '');
        const published: string[] = [];
        listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
          published.push(channel, message);
        });
        await listener.psubscribe('*');
        try {
          const answers = await Promise.all([
            start(KEY_A, `${id}-a`, 'alpha story'),
            start(KEY_B, `${id}-b`, 'bravo story'),
          ]);
          expect(answers.map(endReason)).toEqual(['stop', 'stop']);
          expect(published.length).toBeGreaterThan(0);
          expect(published.join('\n')).not.toMatch(new RegExp(`${KEY_A}|${KEY_B}`));
          const stored = await dumpGatewayKeys(admin);
          expect(stored.owners.length).toBeGreaterThanOrEqual(2);
          expect(new Set(stored.owners).size).toBeGreaterThanOrEqual(2);
          for (const owner of stored.owners) expect([KEY_A, KEY_B]).not.toContain(owner);
          expect(stored.text).not.toContain(KEY_A);
          expect(stored.text).not.toContain(KEY_B);
        } finally {
          admin.disconnect();
          listener.disconnect();
        }
      });
    }
  },
);

/** Every `sg:*` key with its content, as one text, and the owner field of every meta hash. */
async function dumpGatewayKeys(redis: Redis): Promise<{ text: string; owners: string[] }> {
  const keys = await redis.keys('sg:*');
  const parts: string[] = [];
  const owners: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    parts.push(key);
    if (type === 'hash') {
      const hash = await redis.hgetall(key);
      if (hash.owner) owners.push(hash.owner);
      parts.push(JSON.stringify(hash));
    } else if (type === 'stream') {
      parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    } else if (type === 'string') {
      parts.push((await redis.get(key)) ?? '');
    } else if (type === 'zset') {
      parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
    } else if (type === 'set') {
      parts.push(JSON.stringify(await redis.smembers(key)));
    } else if (type === 'list') {
      parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    }
  }
  return { text: parts.join('\n'), owners };
}
