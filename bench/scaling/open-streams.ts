import { assertComplete, openStream, runStreams, type StreamOutcome } from './sse-load';
import { fdCount, sampleProcesses, socketSlabs, type ProcessFigures } from './proc-probe';
import type { Stack } from './stack';

const OPEN_PROMPT = 'scaling: held open';
const WARM_PROMPT = 'scaling: warm-up';

/** What each process holds per open stream, at the plateau minus before. */
export interface OpenStreamsResult {
  streams: number;
  tokensPerStream: number;
  nginxWorkers: number;
  perStream: {
    nginxFds: number;
    nginxPrivateBytes: number;
    appFds: number;
    appPrivateBytes: number;
    redisFds: number;
    benchFds: number;
    /**
     * TCP sockets machine-wide (others' sockets add noise): every end on the path here, client,
     * nginx ×2, app ×2, upstream; in production each machine holds only its own.
     */
    tcpSockets: number;
    /** Kernel slab memory of those sockets (TCP + sock_inode_cache), per stream. */
    kernelSocketBytes: number;
  };
  redisConnectedClients: number;
}

interface Snapshot {
  nginx: ProcessFigures;
  app: ProcessFigures;
  redisFds: number;
  benchFds: number;
  tcp: ReturnType<typeof socketSlabs>;
}

function snapshot(stack: Stack): Snapshot {
  return {
    nginx: sampleProcesses(stack.nginxWorkers),
    app: sampleProcesses([stack.appPid]),
    redisFds: fdCount(stack.redis.pid),
    benchFds: fdCount(process.pid),
    tcp: socketSlabs(),
  };
}

const BATCH = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * N streams held open through nginx (one token a second), opened in batches of 200;
 * sampled once every stream has its first token, then awaited to the end (all must complete).
 */
export async function measureOpenStreams(
  stack: Stack,
  streams: number,
  tokensPerStream: number,
): Promise<OpenStreamsResult> {
  stack.upstream.script(OPEN_PROMPT, {
    tokens: Array.from({ length: tokensPerStream }, (_, index) => `open${index} `),
    delayMs: 1000,
  });
  stack.upstream.script(WARM_PROMPT, { tokens: ['a ', 'b '], delayMs: 1 });
  assertComplete('warm-up', await runStreams(stack.nginx.url, WARM_PROMPT, 200, 50), 2);
  await sleep(1500);
  const before = snapshot(stack);
  let open = 0;
  const pending: Promise<StreamOutcome>[] = [];
  let ended = 0;
  let answered = 0;
  let endedEarly: StreamOutcome | undefined;
  // Each batch once the previous one streams: a fixed pace would overrun the app's accept
  // queue whenever the machine is busy (Node's default backlog was 511; the app now asks for
  // 4096), and nginx would answer 502.
  const deadline = Date.now() + tokensPerStream * 1000 * 0.75;
  for (let started = 0; started < streams; started += BATCH) {
    for (let i = started; i < Math.min(streams, started + BATCH); i++) {
      const stream = openStream(
        stack.nginx.url,
        OPEN_PROMPT,
        () => open++,
        undefined,
        () => answered++,
      );
      pending.push(stream);
      void stream.then(
        (outcome) => {
          ended++;
          endedEarly ??= outcome;
        },
        () => ended++,
      );
    }
    const target = Math.min(streams, started + BATCH);
    await until(() => answered >= target);
  }
  await until(() => open >= streams);

  async function until(done: () => boolean): Promise<void> {
    // Every stream must be open at once: the plateau is sampled before the first one ends.
    while (!done()) {
      if (Date.now() > deadline || ended > 0) {
        const early = endedEarly
          ? `; one ended with ${endedEarly.status}, ${endedEarly.tokens} tokens`
          : '';
        throw new Error(`only ${open} of ${streams} streams opened, ${ended} ended${early}`);
      }
      await sleep(20);
    }
  }
  await sleep(500);
  const plateau = snapshot(stack);
  const redisConnectedClients = await stack.redis.info('clients', 'connected_clients');
  assertComplete('open streams', await Promise.all(pending), tokensPerStream);
  const per = (delta: number): number => delta / streams;
  return {
    streams,
    tokensPerStream,
    nginxWorkers: stack.nginxWorkers.length,
    perStream: {
      nginxFds: per(plateau.nginx.fds - before.nginx.fds),
      nginxPrivateBytes: per(plateau.nginx.privateBytes - before.nginx.privateBytes),
      appFds: per(plateau.app.fds - before.app.fds),
      appPrivateBytes: per(plateau.app.privateBytes - before.app.privateBytes),
      redisFds: per(plateau.redisFds - before.redisFds),
      benchFds: per(plateau.benchFds - before.benchFds),
      tcpSockets: per(plateau.tcp.tcpSockets - before.tcp.tcpSockets),
      kernelSocketBytes: per(plateau.tcp.bytes - before.tcp.bytes),
    },
    redisConnectedClients,
  };
}
