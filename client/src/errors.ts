/** The server refused the request before streaming (400, 401, 409, 413, 415, 429, 503…). */
export class ChatHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ChatHttpError';
  }
}

/** The stream ended with an `error` event (upstream failure, timeout, shutdown…). */
export class ChatStreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly endReason: string | undefined,
  ) {
    super(message);
    this.name = 'ChatStreamError';
  }
}

/** The connection dropped and could not be resumed within the retry budget. */
export class ChatConnectionError extends Error {
  constructor(
    message: string,
    readonly lastEventId: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChatConnectionError';
  }
}

/**
 * The server sent something that breaks the wire contract: an event whose data is not JSON, or
 * not the shape its name promises (or a `GET /api/pipelines` answer not of its shape). Never treated as a dropped connection: re-attaching would
 * only read the same bytes again.
 */
export class ChatProtocolError extends Error {
  constructor(
    message: string,
    readonly eventName: string,
    readonly eventId: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChatProtocolError';
  }
}
