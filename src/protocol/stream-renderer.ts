import type { StoredEvent } from './stored-event';

/**
 * One wire view of a stream: how its events look to one kind of client (this service's native
 * SSE, the AI SDK's UI message stream, OpenAI's chunks, htmx fragments). A renderer is made per
 * response and may keep state (an open text part, a tool-call index); fed the same events it
 * writes the same bytes, which is what makes replays and resumes exact.
 */
export interface StreamRenderer {
  /** Response headers besides the common SSE ones (content type, caching, X-Request-Id). */
  readonly headers: Readonly<Record<string, string>>;
  /** Written right after the headers. */
  preamble(): string;
  /** The text for one event; may be empty. */
  render(event: StoredEvent): string;
  /** Written after the `end` event, before the response ends. */
  epilogue(): string;
  /** Written while nothing else was for HEARTBEAT_MS; must not look like an event. */
  readonly ping: string;
  /**
   * Whether rendering an event depends on the ones before it. A resume then reads the stream
   * from its start and feeds the events the client has to `render` without writing them.
   */
  readonly needsHistory: boolean;
}
