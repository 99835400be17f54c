/** Why a stream ended; the `reason` of the `end` event. */
export type EndReason = 'stop' | 'length' | 'cancelled' | 'error' | 'timeout' | 'shutdown';

/** The `code` of an `error` event. */
export type StreamErrorCode =
  | 'upstream_error'
  | 'upstream_timeout'
  | 'upstream_rate_limited'
  | 'upstream_auth'
  | 'upstream_bad_response'
  | 'internal_error'
  | 'shutting_down';

export interface StartData {
  requestId: string;
  model: string;
  provider: string;
  createdAt: string;
}
export interface TokenData {
  content: string;
}
export interface UsageData {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}
export interface ErrorData {
  code: StreamErrorCode;
  message: string;
  retryable: boolean;
}
export interface EndData {
  reason: EndReason;
}

/**
 * One event of a chat stream. `id` is its sequence number in the stream (0, 1, 2, … no gaps);
 * it is what `Last-Event-ID` names when a client resumes.
 */
export type ChatEvent =
  | { id: number; type: 'start'; data: StartData }
  | { id: number; type: 'token'; data: TokenData }
  | { id: number; type: 'usage'; data: UsageData }
  | { id: number; type: 'error'; data: ErrorData }
  | { id: number; type: 'end'; data: EndData };

export type ChatEventType = ChatEvent['type'];
