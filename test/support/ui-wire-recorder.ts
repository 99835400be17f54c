/** One response as it reached the AI SDK's transport: status, headers and the raw body text. */
export interface WireRecord {
  url: string;
  method: string;
  status: number;
  headers: Headers;
  /** The body text received so far (the whole body once the response ended). */
  raw: string;
}

/**
 * A `fetch` for `DefaultChatTransport({ fetch })` that keeps what the transport received, so a
 * test can check the bytes on the wire (SSE `id:` lines, `[DONE]`, headers such as X-Request-Id)
 * next to what the SDK made of them. The body passes through a TransformStream, not a tee: when
 * the SDK cancels its reader the cancel still reaches the socket, exactly as without the recorder.
 */
export function recordingFetch(records: WireRecord[], via: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await via(input, init);
    const record: WireRecord = {
      url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      method: init?.method ?? 'GET',
      status: response.status,
      headers: response.headers,
      raw: '',
    };
    records.push(record);
    if (!response.body) return response;
    const decoder = new TextDecoder();
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(bytes, controller) {
          record.raw += decoder.decode(bytes, { stream: true });
          controller.enqueue(bytes);
        },
      }),
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
