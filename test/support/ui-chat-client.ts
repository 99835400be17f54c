import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { sseEvents } from './ui-chunk-shape';
import { recordingFetch, type WireRecord } from './ui-wire-recorder';

/** A chunk as the SDK's transport handed it over, with when (ms since the request was sent). */
export interface TimedChunk {
  chunk: UIMessageChunk;
  at: number;
}

/** What one stream gave the client: its chunks, the UIMessage the SDK built, any errors. */
export interface UiRead {
  chunks: TimedChunk[];
  /** Every snapshot `readUIMessageStream` yielded, with when. */
  snapshots: { message: UIMessage; at: number }[];
  /** The last snapshot: the assistant message as the SDK assembled it. */
  message: UIMessage | undefined;
  /** What the SDK reported while reading: `error` chunks, broken streams, protocol violations. */
  errors: Error[];
  /** The response as it came over the wire. */
  wire: WireRecord;
  /** ms since the request was sent, when the stream ended (or the reader stopped). */
  endedAt: number;
}

export interface ReadOptions {
  /** Called after each chunk; return true to stop reading here (the connection is closed). */
  stopAfter?: (chunks: TimedChunk[]) => boolean;
}

export interface SendOptions extends ReadOptions {
  chatId: string;
  messages: UIMessage[];
  /** Extra body fields (this service's `pipeline`, `onDisconnect`, `maxTokens`, …). */
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
  abortSignal?: AbortSignal;
}

/** A user message as `Chat.sendMessage({ text })` builds it. */
export function userText(text: string, id = `user-${Math.random().toString(36).slice(2)}`) {
  return { id, role: 'user' as const, parts: [{ type: 'text' as const, text }] };
}

/** The text of a message's text parts, as a chat UI shows it. */
export function textOf(message: UIMessage | undefined): string {
  return (message?.parts ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');
}

export function chunkTypes(read: UiRead): string[] {
  return read.chunks.map(({ chunk }) => chunk.type);
}

/** The first chunk of `type`; fails the test when there is none. */
export function firstChunk<T extends UIMessageChunk['type']>(
  read: Pick<UiRead, 'chunks'>,
  type: T,
): TimedChunk & { chunk: Extract<UIMessageChunk, { type: T }> } {
  const found = read.chunks.find(({ chunk }) => chunk.type === type);
  if (!found) {
    const types = read.chunks.map(({ chunk }) => chunk.type);
    throw new Error(`no ${type} chunk in ${types.join(', ')}`);
  }
  return found as TimedChunk & { chunk: Extract<UIMessageChunk, { type: T }> };
}

/** The chunks of a raw UI message stream body (what a Chat's own request received). */
export function chunksOfRaw(raw: string): TimedChunk[] {
  return sseEvents(raw)
    .filter((event) => event.data !== '[DONE]')
    .map((event) => ({ chunk: JSON.parse(event.data) as UIMessageChunk, at: 0 }));
}

/**
 * The AI SDK's own client for this service: `DefaultChatTransport` pointed at `/api/ui/chat`,
 * every response recorded, every stream turned into a UIMessage by `readUIMessageStream`.
 */
export class UiChatClient {
  readonly wire: WireRecord[] = [];
  readonly transport: DefaultChatTransport<UIMessage>;

  constructor(options: { baseUrl: string; headers?: Record<string, string> }) {
    this.transport = new DefaultChatTransport({
      api: `${options.baseUrl}/api/ui/chat`,
      headers: options.headers,
      fetch: recordingFetch(this.wire),
    });
  }

  /** `sendMessages` (trigger submit-message), read to its end or until `stopAfter`. */
  async send(options: SendOptions): Promise<UiRead> {
    const started = performance.now();
    const stream = await this.transport.sendMessages({
      trigger: 'submit-message',
      chatId: options.chatId,
      messageId: undefined,
      messages: options.messages,
      abortSignal: options.abortSignal,
      body: options.body,
      headers: options.headers,
    });
    return readUi(stream, { started, wire: this.lastWire(), stopAfter: options.stopAfter });
  }

  /** `reconnectToStream`: null when the service answered 204 (nothing to resume). */
  async reconnect(
    chatId: string,
    options: ReadOptions & { headers?: Record<string, string> } = {},
  ): Promise<UiRead | null> {
    const started = performance.now();
    const stream = await this.transport.reconnectToStream({ chatId, headers: options.headers });
    if (stream === null) return null;
    return readUi(stream, { started, wire: this.lastWire(), stopAfter: options.stopAfter });
  }

  private lastWire(): WireRecord {
    const wire = this.wire.at(-1);
    if (!wire) throw new Error('the transport made no request');
    return wire;
  }
}

/** Reads a UI message chunk stream the way `useChat` does, timing every chunk. */
export async function readUi(
  stream: ReadableStream<UIMessageChunk>,
  options: ReadOptions & { started: number; wire: WireRecord },
): Promise<UiRead> {
  const elapsed = (): number => performance.now() - options.started;
  const chunks: TimedChunk[] = [];
  const timed = stream.pipeThrough(
    new TransformStream<UIMessageChunk, UIMessageChunk>({
      transform(chunk, controller) {
        chunks.push({ chunk, at: elapsed() });
        controller.enqueue(chunk);
        // Ends what the SDK reads here and cancels the response body: the client has left.
        if (options.stopAfter?.(chunks) === true) controller.terminate();
      },
    }),
  );
  const read: UiRead = {
    chunks,
    snapshots: [],
    message: undefined,
    errors: [],
    wire: options.wire,
    endedAt: 0,
  };
  for await (const message of readUIMessageStream({
    stream: timed,
    onError: (error) => read.errors.push(error instanceof Error ? error : new Error(String(error))),
  })) {
    read.snapshots.push({ message, at: elapsed() });
    read.message = message;
  }
  read.endedAt = elapsed();
  return read;
}
