import type { FakeOpenAIServer, RecordedRequest } from './fake-openai-server';

/**
 * Finds the fake upstream's record of a stream by its first (system) message, which the soak
 * sets to the request id. Indexes new records as they come, so thousands of lookups stay cheap.
 */
export class UpstreamIndex {
  private readonly byFirstMessage = new Map<string, RecordedRequest[]>();
  private indexed = 0;

  constructor(private readonly upstream: FakeOpenAIServer) {}

  /** Every upstream request made for `requestId` (more than one would be a bug). */
  find(requestId: string): RecordedRequest[] {
    const { requests } = this.upstream;
    for (; this.indexed < requests.length; this.indexed++) {
      const record = requests[this.indexed];
      const key = record.body.messages[0]?.content ?? '';
      this.byFirstMessage.set(key, [...(this.byFirstMessage.get(key) ?? []), record]);
    }
    return this.byFirstMessage.get(requestId) ?? [];
  }

  /** Upstream requests still open: neither finished nor aborted by the app. */
  open(): RecordedRequest[] {
    return this.upstream.requests.filter((record) => !record.finished && !record.abortedAt);
  }

  /** Forgets every record (the fake's too), so they do not count in a heap measurement. */
  clear(): void {
    this.upstream.requests.length = 0;
    this.byFirstMessage.clear();
    this.indexed = 0;
  }
}

/** Waits (bounded) until the upstream request is finished or aborted; true if it got there. */
export async function settles(record: RecordedRequest, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!record.finished && record.abortedAt === undefined) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}
