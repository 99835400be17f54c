/** Every peer reads the same two variables: where to listen and where the upstream is. */
export const PORT = Number(process.env.PORT ?? 0);
export const UPSTREAM_URL = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:1/v1';
export const MODEL = 'gpt-fake';

/** Tells the harness the peer is up (it waits for this line). */
export function announce(port: number): void {
  process.stdout.write(`listening on ${port}\n`);
}

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
};

/** The bench-only pipeline of `gateway-noop-callback.ts`: the chat model with a no-op handler. */
export const NOOP_CALLBACK_PIPELINE = 'chat-callback';
