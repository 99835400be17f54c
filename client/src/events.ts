/** Events of a chat stream as the client library hands them out. */
export interface StartEvent {
  type: 'start';
  id: number;
  requestId: string;
  model: string;
  provider: string;
  createdAt: string;
}
/** A piece of the answer: the text a user reads. */
export interface TokenEvent {
  type: 'token';
  id: number;
  content: string;
}
/** A piece of the model's reasoning (thinking); not part of the answer. */
export interface ReasoningEvent {
  type: 'reasoning';
  id: number;
  content: string;
}
/** A tool call the model made, sent once its arguments are complete. */
export interface ToolCallEvent {
  type: 'tool_call';
  id: number;
  toolCallId: string;
  name: string;
  args: Record<string, unknown>;
}
/** What a tool returned for the `tool_call` with the same `toolCallId`; `isError` if it failed. */
export interface ToolResultEvent {
  type: 'tool_result';
  id: number;
  toolCallId: string;
  name: string;
  content: string;
  isError: boolean;
}
/**
 * A custom event a pipeline dispatched (LangChain's `dispatchCustomEvent(name, data)`); `data` is
 * whatever JSON it sent, undefined when it sent none.
 */
export interface DataEvent {
  type: 'data';
  id: number;
  name: string;
  data: unknown;
}
export interface UsageEvent {
  type: 'usage';
  id: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}
export interface EndEvent {
  type: 'end';
  id: number;
  reason: 'stop' | 'length' | 'cancelled' | 'error' | 'timeout' | 'shutdown';
}

/** Yielded by `streamChat`; an `error` event is thrown as a ChatStreamError instead. */
export type ChatStreamEvent =
  | StartEvent
  | TokenEvent
  | ReasoningEvent
  | ToolCallEvent
  | ToolResultEvent
  | DataEvent
  | UsageEvent
  | EndEvent;

/** Where the connection stands; for showing "reconnecting…" in a UI. */
export type ConnectionState = 'connecting' | 'streaming' | 'reconnecting' | 'closed';
