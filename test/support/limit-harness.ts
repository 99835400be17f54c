import { admittedAndRefused, burst } from './burst';
import { FakeOpenAIServer } from './fake-openai-server';
import { activeStreams, pause, waitUntil } from './gateway-probes';
import { endReasonOf, type HeldStream } from './held-stream';
import { openAiEnv } from './openai-env';
import { RedisServer } from './redis-server';
import { startApp, type RunningApp } from './start-app';

export type LogMode = 'memory' | 'redis';

/** Starts sent at once unless a test says otherwise. */
const BURST_SIZE = 300;

export interface BurstAnswers {
  admitted: HeldStream[];
  refused: HeldStream[];
}

/** One app on the fake upstream, in one log mode, and the streams its tests left open. */
export class LimitHarness {
  readonly upstream = new FakeOpenAIServer();
  redis: RedisServer | undefined;
  service!: RunningApp;
  private readonly held: HeldStream[] = [];

  async start(mode: LogMode, env: Record<string, string>): Promise<void> {
    this.redis = mode === 'redis' ? await RedisServer.start() : undefined;
    const redisEnv: Record<string, string> = this.redis ? { REDIS_URL: this.redis.url } : {};
    this.service = await startApp(openAiEnv(await this.upstream.start(), { ...env, ...redisEnv }));
  }

  async stop(): Promise<void> {
    await this.service?.close();
    await this.redis?.stop();
    await this.upstream.close();
  }

  /** `count` parallel POST /api/chat/stream of `prompt`, ids `<prompt>-<i>` unless given. */
  async burst(
    prompt: string,
    options: { count?: number; key?: string; ids?: string[] } = {},
  ): Promise<BurstAnswers> {
    const { ids, key } = options;
    const answers = await burst({
      baseUrl: this.service.url,
      count: options.count ?? BURST_SIZE,
      request: (index) => ({
        path: '/api/chat/stream',
        body: { query: prompt },
        headers: {
          'x-request-id': ids?.[index % ids.length] ?? `${prompt}-${index}`,
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
      }),
    });
    this.held.push(...answers);
    return admittedAndRefused(answers);
  }

  /** Every upstream call of `prompt` (and no more) has arrived; none has finished yet. */
  async expectUpstreamCalls(prompt: string, count: number): Promise<void> {
    await waitUntil(
      `${count} upstream calls`,
      () => this.upstream.requestsFor(prompt).length >= count,
    );
    await pause(300); // a refused start that slipped through would have called by now
    const calls = this.upstream.requestsFor(prompt);
    expect(calls).toHaveLength(count);
    // Counted while the admitted streams still ran: nothing ended and made room meanwhile.
    expect(calls.filter((call) => call.finished)).toHaveLength(0);
  }

  /** Cancels the streams by DELETE; each must end with reason `cancelled`. */
  async cancelAll(admitted: HeldStream[], key?: string): Promise<void> {
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    const statuses = await Promise.all(
      admitted.map(async (answer) => {
        const url = `${this.service.url}/api/chat/streams/${answer.headers.get('x-request-id')}`;
        return (await fetch(url, { method: 'DELETE', headers })).status;
      }),
    );
    expect(new Set(statuses)).toEqual(new Set([202]));
    const reasons = await Promise.all(admitted.map(async (a) => endReasonOf(await a.done)));
    expect(new Set(reasons)).toEqual(new Set(['cancelled']));
  }

  settled(): Promise<void> {
    return waitUntil(
      'no stream running',
      async () => (await activeStreams(this.service.url)) === 0,
    );
  }

  /** A failed test must not leave its streams holding places for the next one. */
  async hangUpAll(): Promise<void> {
    for (const answer of this.held.splice(0)) answer.hangUp();
    await this.settled().catch(() => undefined);
  }
}
