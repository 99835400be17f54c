export { cancel, type CancelOptions } from './cancel.js';
export { ChatConnectionError, ChatHttpError, ChatStreamError } from './errors.js';
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
  type RetryOptions,
  type StreamChatOptions,
} from './stream-chat.js';
