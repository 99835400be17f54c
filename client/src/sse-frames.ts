import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Reading the response body failed: the connection dropped (socket reset, undici's "terminated")
 * or the fetch was aborted. The one failure that re-attaching can mend; `cause` is the original.
 */
export class BodyReadError extends Error {
  constructor(cause: unknown) {
    super('Reading the response body failed.', { cause });
    this.name = 'BodyReadError';
  }
}

/**
 * The SSE messages of a response body, parsed by eventsource-parser as they arrive. Leaving early
 * (the caller's `break`, a throw in its loop) cancels the body, which closes the connection.
 */
export async function* sseMessages(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => queue.push(message) });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await read(reader);
      if (done) {
        ended = true;
        return;
      }
      parser.feed(decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as EventSourceMessage;
    }
  } finally {
    // Releasing the lock alone leaves the socket open: the server never sees the hang-up and,
    // with onDisconnect "cancel", goes on generating (and paying for) an answer nobody reads.
    // On a failed read the body is already errored and cancel() only rejects: ignore that.
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** One read, its failure marked as the network's, so it is never confused with the caller's. */
async function read(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch (error: unknown) {
    throw new BodyReadError(error);
  }
}
