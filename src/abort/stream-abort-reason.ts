/** Why a running stream was aborted. Carried as the AbortSignal's reason. */
export type StreamAbortKind = 'cancelled' | 'client_gone' | 'timeout' | 'shutdown';

/**
 * The reason object given to `AbortController.abort()`. Code that catches an abort tells a
 * cancel from a failure by this value on the signal, never by matching error text.
 */
export class StreamAbortReason extends Error {
  constructor(readonly kind: StreamAbortKind) {
    super(`stream aborted: ${kind}`);
    this.name = 'AbortError';
  }
}

export function abortKindOf(signal: AbortSignal): StreamAbortKind | undefined {
  if (!signal.aborted) return undefined;
  return signal.reason instanceof StreamAbortReason ? signal.reason.kind : 'cancelled';
}
