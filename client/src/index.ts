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
  DataEvent,
  EndEvent,
  ReasoningEvent,
  StartEvent,
  TokenEvent,
  ToolCallEvent,
  ToolResultEvent,
  UsageEvent,
} from './events.js';
export { listPipelines, type ListPipelinesInit, type PipelineInfo } from './list-pipelines.js';
export {
  ChatStream,
  streamChat,
  type ChatRequestBody,
  type ConnectionDetail,
  type RetryOptions,
  type StreamChatOptions,
} from './stream-chat.js';
