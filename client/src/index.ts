export { cancel, type CancelOptions } from './cancel';
export { ChatConnectionError, ChatHttpError, ChatStreamError } from './errors';
export type {
  ChatStreamEvent,
  ConnectionState,
  EndEvent,
  StartEvent,
  TokenEvent,
  UsageEvent,
} from './events';
export {
  ChatStream,
  streamChat,
  type ChatRequestBody,
  type RetryOptions,
  type StreamChatOptions,
} from './stream-chat';
