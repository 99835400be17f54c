import { dispatchCustomEvent } from '@langchain/core/callbacks/dispatch';
import { HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { ChatPromptTemplate, MessagesPlaceholder } from '@langchain/core/prompts';
import { RunnableLambda, RunnableSequence, type RunnableConfig } from '@langchain/core/runnables';
import type { Pipeline } from '../../src/pipelines/pipeline';

/** What the gateway hands a pipeline that is not a bare chat model. */
interface PipelineInput {
  messages: BaseMessage[];
  question: string;
}

/** An LCEL chain, `ChatPromptTemplate | model`, with its own system prompt. */
export function promptChainPipeline(name: string, systemPrompt: string): Pipeline {
  return {
    name,
    description: 'An LCEL prompt | model chain with its own system prompt (tests only).',
    create: (_request, context) =>
      ChatPromptTemplate.fromMessages([
        ['system', systemPrompt],
        new MessagesPlaceholder('messages'),
      ]).pipe(context.chatModel()),
  };
}

/** What the router model is asked, so a fake upstream can answer it apart from the question. */
export const routerPrompt = (question: string): string => `ROUTE: ${question}`;

/**
 * A router: an inner model call tagged `hiddenTag` picks a route, which the answering model gets
 * as a system message. The router's tokens are not the answer; its usage is still paid for.
 */
export function routerPipeline(name: string, hiddenTag: string): Pipeline {
  return {
    name,
    description: `Routes with an inner model call tagged ${hiddenTag} (tests only).`,
    create: (_request, context) => {
      const router = context.chatModel().withConfig({ tags: [hiddenTag], runName: 'router' });
      return RunnableSequence.from([
        RunnableLambda.from(async (input: PipelineInput) => {
          const verdict = await router.invoke([new HumanMessage(routerPrompt(input.question))]);
          return [new SystemMessage(`Route: ${verdict.text}`), ...input.messages];
        }),
        context.chatModel(),
      ]);
    },
  };
}

/**
 * Reports progress with `dispatchCustomEvent` before the model answers, as a retrieval step
 * would; the gateway streams it as `event: data`.
 */
export function customEventPipeline(name: string, eventName: string, data: unknown): Pipeline {
  return {
    name,
    description: 'Dispatches a custom event, then answers (tests only).',
    create: (_request, context) =>
      RunnableSequence.from([
        RunnableLambda.from(async (input: PipelineInput, config?: RunnableConfig) => {
          await dispatchCustomEvent(eventName, data, config);
          return input.messages;
        }),
        context.chatModel(),
      ]),
  };
}
