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
export interface ReasoningData {
  content: string;
}
/** A tool call the model made, sent once its arguments are complete. */
export interface ToolCallData {
  toolCallId: string;
  name: string;
  args: Record<string, unknown>;
}
export interface ToolResultData {
  toolCallId: string;
  name: string;
  content: string;
  isError: boolean;
}
/** A custom event a chain or graph dispatched (`dispatchCustomEvent(name, data)`). */
export interface CustomData {
  name: string;
  data: unknown;
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
  | { id: number; type: 'reasoning'; data: ReasoningData }
  | { id: number; type: 'tool_call'; data: ToolCallData }
  | { id: number; type: 'tool_result'; data: ToolResultData }
  | { id: number; type: 'data'; data: CustomData }
  | { id: number; type: 'usage'; data: UsageData }
  | { id: number; type: 'error'; data: ErrorData }
  | { id: number; type: 'end'; data: EndData };

export type ChatEventType = ChatEvent['type'];
