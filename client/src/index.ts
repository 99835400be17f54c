export { cancel, type CancelOptions } from './cancel.js';
export {
  ChatConnectionError,
  ChatHttpError,
  ChatProtocolError,
  ChatStreamError,
} from './errors.js';
export type {
  ChatStreamEvent,
  ConnectionState,
  EndEvent,
  StartEvent,
  TokenEvent,
  UsageEvent,
} from './events.js';
export {
  ChatStream,
  streamChat,
  type ChatRequestBody,
  type ConnectionDetail,
  type RetryOptions,
  type StreamChatOptions,
} from './stream-chat.js';
