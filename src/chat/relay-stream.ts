import type { Response } from 'express';
import type { AppConfig } from '../config/app-config';
import type { StreamRenderer } from '../protocol/stream-renderer';
import { SseWriter } from '../sse/sse-writer';
import type { StartedStream } from './stream-runner';

/**
 * Runs a started stream and writes each event to the response as it is made. With
 * onDisconnect "continue" the loop runs on after a hang-up: writes are dropped, the log keeps
 * every event for a later attach.
 */
export async function relayStream(
  res: Response,
  stream: StartedStream,
  options: { config: AppConfig; renderer: StreamRenderer },
): Promise<void> {
  const { config, renderer } = options;
  const writer = new SseWriter(res, {
    requestId: stream.requestId,
    renderer,
    heartbeatMs: config.stream.heartbeatMs,
    stallTimeoutMs: config.stream.slowClientTimeoutMs,
  });
  try {
    writer.open();
    for await (const event of stream.events) {
      const backpressure = writer.write(event);
      if (backpressure) await backpressure;
    }
  } finally {
    writer.end();
    stream.abandon();
  }
}
