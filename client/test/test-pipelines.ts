import { dispatchCustomEvent } from '@langchain/core/callbacks/dispatch';
import { HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { createAgent } from 'langchain';
import { z } from 'zod';
import type { Pipeline } from '../../src/pipelines/pipeline.js';
import { calculatorTool } from '../../src/pipelines/tools/calculator.tool.js';

/**
 * Pipelines the tests add with `startApp(env, { pipelines })`. Their tools are named
 * `calculator`, because that is the tool the demo model calls for arithmetic: so "What is
 * 12 * 7?" reaches them offline, through the real createAgent graph.
 */

/** What the hostile tool returns: markup a page must show as text, never run. */
export const HOSTILE_TOOL_OUTPUT =
  '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>' +
  '<a href="javascript:window.__xss=3">click</a> 84';

const expressionSchema = z.object({ expression: z.string() });

function agentWith(options: {
  name: string;
  description: string;
  tool: StructuredToolInterface;
}): Pipeline {
  return {
    name: options.name,
    description: options.description,
    create: (_request, context) =>
      createAgent({ model: context.chatModel(), tools: [options.tool] }).graph,
  };
}

export const hostileToolPipeline = agentWith({
  name: 'hostile-tool',
  description: 'Test: a calculator that answers with HTML and script.',
  tool: tool(() => HOSTILE_TOOL_OUTPUT, {
    name: 'calculator',
    description: 'Evaluates arithmetic.',
    schema: expressionSchema,
  }),
});

export const failingToolPipeline = agentWith({
  name: 'failing-tool',
  description: 'Test: a calculator that always throws.',
  tool: tool(
    (): string => {
      throw new Error('the abacus is broken');
    },
    { name: 'calculator', description: 'Evaluates arithmetic.', schema: expressionSchema },
  ),
});

/** Counts the runs of the slow tool and how many of them were aborted mid-way. */
export class SlowToolProbe {
  started = 0;
  aborted = 0;
}

/** A calculator that takes `delayMs` to answer 84, unless its run's signal aborts first. */
export function slowToolPipeline(delayMs: number, probe: SlowToolProbe): Pipeline {
  const slowCalculator = tool(
    async (_input, config: { signal?: AbortSignal }) => {
      probe.started++;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delayMs);
        config.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            probe.aborted++;
            reject(new Error('aborted'));
          },
          { once: true },
        );
      });
      return '84';
    },
    { name: 'calculator', description: 'Evaluates arithmetic, slowly.', schema: expressionSchema },
  );
  return agentWith({
    name: 'slow-tool',
    description: 'Test: a calculator that takes its time.',
    tool: slowCalculator,
  });
}

/** Custom events the progress pipeline dispatches before it answers. */
export const PROGRESS_EVENTS = [
  { name: 'progress', data: { step: 'retrieve', documents: 2 } },
  { name: 'progress', data: { step: 'rank', scores: [0.9, 0.4] } },
] as const;

/** Reports progress with `dispatchCustomEvent`, then lets the chat model answer. */
export const progressPipeline: Pipeline = {
  name: 'progress',
  description: 'Test: reports progress as data events, then answers.',
  create: (_request, context) =>
    RunnableLambda.from(async (input: { messages: BaseMessage[] }, config) => {
      for (const { name, data } of PROGRESS_EVENTS) await dispatchCustomEvent(name, data, config);
      return context.chatModel().invoke(input.messages, config);
    }),
};

/** The answer text the two-part pipeline streams before its tool call: markdown, a list. */
export const TWO_PART_INTRO = 'Let me **work it out**:\n\n- ask the calculator\n- then answer\n\n';

/**
 * Answer text, then the agent's reasoning, tool call and result, then more answer text: a
 * stream where blocks sit between two runs of markdown.
 */
export const twoPartPipeline: Pipeline = {
  name: 'two-part',
  description: 'Test: some answer, then a calculator call, then the rest of the answer.',
  create: (_request, context) =>
    RunnableLambda.from(async (input: { messages: BaseMessage[] }, config) => {
      const intro = new FakeListChatModel({ responses: [TWO_PART_INTRO], sleep: 10 });
      await intro.invoke([new HumanMessage('introduce the answer')], config);
      const agent = createAgent({ model: context.chatModel(), tools: [calculatorTool] });
      return agent.graph.invoke({ messages: input.messages }, config);
    }),
};
