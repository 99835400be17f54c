/** Events of a chat stream as the client library hands them out. */
export interface StartEvent {
  type: 'start';
  id: number;
  requestId: string;
  model: string;
  provider: string;
  createdAt: string;
}
export interface TokenEvent {
  type: 'token';
  id: number;
  content: string;
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
export type ChatStreamEvent = StartEvent | TokenEvent | UsageEvent | EndEvent;

/** Where the connection stands; for showing "reconnecting…" in a UI. */
export type ConnectionState = 'connecting' | 'streaming' | 'reconnecting' | 'closed';
