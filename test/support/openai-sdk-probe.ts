import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';

/** One HTTP attempt the official client made, as its own `fetch` saw it. */
export interface SdkAttempt {
  url: string;
  /** ms since the probe was created, when the request left */
  sentAt: number;
  /** when the status and headers came back */
  answeredAt?: number;
  status?: number;
  headers?: Headers;
  requestHeaders: Headers;
}

/** A chunk of a streamed completion with when the client's loop received it. */
export interface TimedChunk {
  chunk: ChatCompletionChunk;
  /** ms since the request was sent */
  at: number;
}

/**
 * The official `openai` client pointed at the gateway's `/v1`, with a `fetch` that records every
 * attempt it makes (the client's retries happen inside one call, invisible otherwise).
 */
export class OpenAISdkProbe {
  readonly attempts: SdkAttempt[] = [];
  readonly client: OpenAI;
  private readonly createdAt = performance.now();

  constructor(
    baseUrl: string,
    options: { apiKey?: string; maxRetries?: number; headers?: Record<string, string> } = {},
  ) {
    this.client = new OpenAI({
      baseURL: `${baseUrl}/v1`,
      // The client refuses to run without a key; the gateway ignores it when API_KEYS is unset.
      apiKey: options.apiKey ?? 'unused-key',
      maxRetries: options.maxRetries,
      defaultHeaders: options.headers,
      fetch: (input, init) => this.recordedFetch(input, init),
    });
  }

  elapsed(): number {
    return performance.now() - this.createdAt;
  }

  private async recordedFetch(
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    const attempt: SdkAttempt = {
      url: input instanceof Request ? input.url : String(input),
      sentAt: this.elapsed(),
      requestHeaders: new Headers(init?.headers),
    };
    this.attempts.push(attempt);
    const response = await fetch(input, init);
    attempt.answeredAt = this.elapsed();
    attempt.status = response.status;
    attempt.headers = response.headers;
    return response;
  }
}

/**
 * Reads a streamed completion with a `for await` loop, as an application does, timing each chunk;
 * `onChunk` sees each one as it arrives and returning true `break`s out of the loop.
 */
export async function collectChunks(
  stream: AsyncIterable<ChatCompletionChunk>,
  options: { startedAt?: number; onChunk?: (chunks: TimedChunk[]) => boolean | void } = {},
): Promise<TimedChunk[]> {
  const startedAt = options.startedAt ?? performance.now();
  const chunks: TimedChunk[] = [];
  for await (const chunk of stream) {
    chunks.push({ chunk, at: performance.now() - startedAt });
    if (options.onChunk?.(chunks) === true) break;
  }
  return chunks;
}

/** The answer text of streamed chunks. */
export function chunkText(chunks: readonly TimedChunk[]): string {
  return chunks.map(({ chunk }) => chunk.choices[0]?.delta.content ?? '').join('');
}

/** The chunks that carry answer text (a non-empty `delta.content`). */
export function contentChunks(chunks: readonly TimedChunk[]): TimedChunk[] {
  return chunks.filter(({ chunk }) => (chunk.choices[0]?.delta.content ?? '') !== '');
}

/** The promise's rejection, or a failure saying it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
