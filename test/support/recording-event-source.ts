import { EventSource, type EventSourceFetchInit, type FetchLikeResponse } from 'eventsource';

/** One HTTP request the EventSource made: its first connect, or a reconnect. */
export interface EventSourceConnection {
  url: string;
  /** The Last-Event-ID header it sent; undefined on the first connect. */
  lastEventId: string | undefined;
  /** The response status; undefined while the request is in flight or when it failed. */
  status?: number;
  /** ms since the EventSource was created */
  at: number;
}

/** One event as `onmessage` / `addEventListener(name)` delivered it. */
export interface EventSourceMessage {
  /** `message` for unnamed events, else the event name. */
  type: string;
  /** The event's id as the EventSource reported it ('' for events without one, like [DONE]). */
  id: string;
  data: string;
  /** Index into `connections` of the response that carried it. */
  connection: number;
  at: number;
}

/** Named events of the native stream, besides unnamed tokens. */
const NAMED_EVENTS = ['start', 'usage', 'end', 'error'];

/**
 * A real `eventsource` (v4, WHATWG-compliant) client whose every request is recorded through its
 * `fetch` option: what a browser's EventSource does on its own (retry, reconnect with
 * Last-Event-ID, stop on 204), made observable.
 */
export class RecordingEventSource {
  readonly connections: EventSourceConnection[] = [];
  readonly messages: EventSourceMessage[] = [];
  readonly source: EventSource;
  /** Resolves with ms since creation once the EventSource has closed itself (204, non-200). */
  readonly closed: Promise<number>;
  private readonly started = performance.now();

  constructor(url: string) {
    const recordingFetch = async (
      target: string | URL,
      init: EventSourceFetchInit,
    ): Promise<FetchLikeResponse> => {
      const connection: EventSourceConnection = {
        url: String(target),
        lastEventId: init.headers['Last-Event-ID'],
        at: this.elapsed(),
      };
      this.connections.push(connection);
      const response = await fetch(target, init as RequestInit);
      connection.status = response.status;
      return response;
    };
    this.source = new EventSource(url, { fetch: recordingFetch });
    this.source.onmessage = (event) => this.record(event);
    for (const name of NAMED_EVENTS) {
      this.source.addEventListener(name, (event: Event) => {
        // 'error' is also the EventSource's own connection-error event, which carries no data.
        if (event instanceof MessageEvent) this.record(event);
      });
    }
    this.closed = new Promise((resolve) =>
      this.source.addEventListener('error', () => {
        if (this.source.readyState === EventSource.CLOSED) resolve(this.elapsed());
      }),
    );
  }

  get readyState(): number {
    return this.source.readyState;
  }

  /** Resolves once a delivered message satisfies `check`; throws after `timeoutMs`. */
  async waitForMessage(
    check: (message: EventSourceMessage) => boolean,
    timeoutMs = 10_000,
  ): Promise<EventSourceMessage> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(check);
      if (found) return found;
      if (performance.now() > deadline) {
        throw new Error(`no such message in ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  close(): void {
    this.source.close();
  }

  private record(event: MessageEvent): void {
    this.messages.push({
      type: event.type,
      id: event.lastEventId,
      data: String(event.data),
      connection: this.connections.length - 1,
      at: this.elapsed(),
    });
  }

  private elapsed(): number {
    return performance.now() - this.started;
  }
}
