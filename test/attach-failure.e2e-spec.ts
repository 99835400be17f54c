import { startAppProcess, type AppProcess } from './support/app-process';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { scrapeMetrics } from './support/metrics-scrape';
import { openAiEnv } from './support/openai-env';
import { RedisServer } from './support/redis-server';
import type { ReceivedEvent } from './support/sse-client';
import { readToClose } from './support/sse-drop-reader';
import { waitFor } from './support/wait-for';

const READ_FAILURES = 'gateway_stream_log_read_failures_total';
const ANSWER = Array.from({ length: 60 }, (_, index) => `o${index} `);

const idsOf = (events: ReceivedEvent[]): number[] =>
  events.flatMap((event) => (event.id === undefined ? [] : [Number(event.id)]));
const textOf = (events: ReceivedEvent[]): string =>
  events
    .filter((event) => event.event === undefined && event.data !== '[DONE]')
    .map((event) => (JSON.parse(event.data) as { content: string }).content)
    .join('');

/** The messages of the warn-level JSON lines (pino) the app wrote to stdout. */
const warnings = (stdout: string): string[] =>
  // The last line may still be arriving: only complete lines count.
  stdout
    .split('\n')
    .slice(0, -1)
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      return entry.level === 40 && entry.msg !== undefined ? [entry.msg] : [];
    });

// Only the Redis log can fail to be read; the memory log lives in the process that serves it.
describe('an attached reader whose stream log (Redis) fails mid-follow', () => {
  const upstream = new FakeOpenAIServer();
  let redis: RedisServer;
  let app: AppProcess;
  let stdout = '';

  beforeAll(async () => {
    redis = await RedisServer.start();
    // A child process, so its warn-level log lines can be read from stdout.
    app = await startAppProcess({
      ...openAiEnv(await upstream.start(), { REDIS_URL: redis.url }),
      LOG_LEVEL: 'warn',
    });
    app.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  }, 30_000);

  afterAll(async () => {
    await app?.stop();
    await redis?.stop();
    await upstream.close();
  });

  it('is closed without [DONE], the failure is counted and logged with the request id, and the client resumes once Redis is back', async () => {
    upstream.script('outage', { tokens: ANSWER, delayMs: 50 });
    const started = await fetch(`${app.url}/api/chat/streams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'outage-1' },
      body: JSON.stringify({ query: 'outage' }),
    });
    expect(started.status).toBe(202);
    const failuresBefore = (await scrapeMetrics(app.url)).value(READ_FAILURES);
    expect(failuresBefore).toBe(0);

    let stopping: Promise<void> | undefined;
    const attached = await readToClose(`${app.url}/api/chat/streams/outage-1`, {
      onEvent: (event) => {
        if (event.id === '5') stopping ??= redis.stop();
      },
    });
    await stopping;

    // Closed abruptly, with no `end` and no [DONE]: the client knows the stream is not over.
    expect(attached.status).toBe(200);
    expect(attached.ending).toBe('dropped');
    expect(attached.sawDone).toBe(false);
    expect(attached.events.some((event) => event.event === 'end')).toBe(false);
    const seen = idsOf(attached.events);
    expect(seen).toEqual(seen.map((_, index) => index));
    expect(seen.length).toBeGreaterThanOrEqual(6);

    expect((await scrapeMetrics(app.url)).value(READ_FAILURES)).toBe(1);
    const lastSeen = seen[seen.length - 1];
    const warning = `stream outage-1: reading the stream log failed after event ${lastSeen}`;
    await waitFor('the warning on stdout', () =>
      warnings(stdout).some((msg) => msg.startsWith(warning)),
    );

    await redis.restart();
    let resumed = await readToClose(`${app.url}/api/chat/streams/outage-1`, {
      headers: { 'last-event-id': String(lastSeen) },
    });
    // The command connection may need a moment to reconnect; until then the attach is a 503.
    await waitFor('a resume once Redis is back', async () => {
      if (resumed.status === 200) return true;
      resumed = await readToClose(`${app.url}/api/chat/streams/outage-1`, {
        headers: { 'last-event-id': String(lastSeen) },
      });
      return resumed.status === 200;
    });
    expect(resumed.ending).toBe('ended');
    expect(resumed.sawDone).toBe(true);
    const rest = idsOf(resumed.events);
    expect(rest).toEqual(rest.map((_, index) => lastSeen + 1 + index));
    expect(textOf([...attached.events, ...resumed.events])).toBe(ANSWER.join(''));
    const end = resumed.events.find((event) => event.event === 'end');
    expect(JSON.parse(end?.data ?? '{}')).toEqual({ reason: 'stop' });
    expect(upstream.requestsFor('outage')).toHaveLength(1);
  });
});
