import { BodyReadError, sseMessages } from './sse-frames.js';

const encoder = new TextEncoder();

/** A body that serves `chunks`, then stays open; it records whether it was cancelled. */
function openBody(chunks: string[]): {
  body: ReadableStream<Uint8Array>;
  cancelled: () => boolean;
} {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
    },
    cancel() {
      cancelled = true;
    },
  });
  return { body, cancelled: () => cancelled };
}

describe('sseMessages', () => {
  it('leaving early cancels the body, not only releases it', async () => {
    const { body, cancelled } = openBody(['id: 0\ndata: a\n\nid: 1\ndata: b\n\n']);
    for await (const message of sseMessages(body)) if (message.id === '0') break;
    expect(cancelled()).toBe(true);
    expect(body.locked).toBe(false);
  });

  it('a throw in the loop cancels the body and is not wrapped', async () => {
    const { body, cancelled } = openBody(['data: a\n\n']);
    const boom = new Error('caller failed');
    const loop = async (): Promise<void> => {
      for await (const message of sseMessages(body)) if (message.data === 'a') throw boom;
    };
    await expect(loop()).rejects.toBe(boom);
    expect(cancelled()).toBe(true);
  });

  it('a failed read is a BodyReadError with the network error as its cause', async () => {
    const network = new TypeError('terminated');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('data: a\n\n'));
      },
      pull(controller) {
        controller.error(network);
      },
    });
    const seen: string[] = [];
    const failure = (async (): Promise<void> => {
      for await (const message of sseMessages(body)) seen.push(message.data);
    })();
    await expect(failure).rejects.toBeInstanceOf(BodyReadError);
    await expect(failure).rejects.toMatchObject({ cause: network });
    expect(seen).toEqual(['a']);
  });
});
