import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Runnable } from '@langchain/core/runnables';
import type { ChatRequest } from '../chat/chat-request';

/** What a pipeline gets besides the request, to build its Runnable for this one generation. */
export interface PipelineContext {
  /** The X-Request-Id; also in the run's metadata (`requestId`), so traces and logs correlate. */
  requestId: string;
  /** A digest of the caller's API key (API_KEYS mode), for pipelines that scope data per caller. */
  owner: string | undefined;
  /** Aborts on cancel, hang-up, timeout or shutdown; LangChain also gets it through the config. */
  signal: AbortSignal;
  /** The configured provider's chat model, with this request's model, temperature and maxTokens. */
  chatModel(): BaseChatModel;
}

/**
 * A named way of answering: a factory of LangChain Runnables. What it returns is streamed
 * through LangChain's public API, so callbacks and tracing hold:
 * - a chat model gets the conversation as messages;
 * - anything else (an LCEL chain, a compiled LangGraph graph such as `createAgent(...).graph`)
 *   gets `{ messages, question }`: the conversation as LangChain messages and the last user
 *   message's text.
 */
export interface Pipeline {
  /** Selected with `"pipeline": "<name>"`; lower-case letters, digits, `-` and `_`. */
  name: string;
  /** One line, listed by `GET /api/pipelines`. */
  description: string;
  create(request: ChatRequest, context: PipelineContext): Runnable | Promise<Runnable>;
}
