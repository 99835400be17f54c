import type { BaseMessage } from '@langchain/core/messages';
import { composeDemoAnswer } from './demo-answer';

/** What the demo model does on one call: answer in text, or call one of its bound tools. */
export type DemoTurn =
  | { kind: 'answer'; text: string }
  | { kind: 'tool'; name: string; args: Record<string, unknown>; reasoning: string };

export const DEMO_CALCULATOR = 'calculator';
export const DEMO_CLOCK = 'current_time';

/** The longest run of arithmetic in the text with at least one operator between numbers. */
export function findArithmetic(text: string): string | undefined {
  const candidates = text.match(/[-+*/^%().\d\s]+/g) ?? [];
  const expressions = candidates
    .map((candidate) => candidate.trim())
    .filter((candidate) => /\d\s*[-+*/^%]\s*[-(\d.]/.test(candidate));
  return expressions.sort((a, b) => b.length - a.length)[0];
}

function asksForTime(text: string): boolean {
  return /\b(time|date|today|clock|day is it)\b/i.test(text);
}

function toolAnswer(results: BaseMessage[]): string {
  return results
    .map((result) => {
      const failed = (result as { status?: string }).status === 'error';
      const name = (result as { name?: string }).name ?? 'tool';
      if (failed) return `The ${name} tool could not do that: ${result.text}`;
      if (name === DEMO_CLOCK) return `It is now **${result.text}** (from the ${name} tool).`;
      return `The ${name} tool says **${result.text}**.`;
    })
    .join('\n\n');
}

/**
 * Decides the demo model's turn the way a tool-calling model would: with tool results after its
 * last message it answers from them; asked for arithmetic or the time with the tool bound, it
 * calls the tool; otherwise it gives its usual answer.
 */
export function planDemoTurn(messages: BaseMessage[], toolNames: readonly string[]): DemoTurn {
  const lastAi = messages.map((message) => message.getType()).lastIndexOf('ai');
  const toolResults = messages.slice(lastAi + 1).filter((message) => message.getType() === 'tool');
  if (lastAi >= 0 && toolResults.length > 0)
    return { kind: 'answer', text: toolAnswer(toolResults) };
  const question = [...messages].reverse().find((message) => message.getType() === 'human');
  const text = question?.text ?? '';
  const expression = findArithmetic(text);
  if (expression !== undefined && toolNames.includes(DEMO_CALCULATOR)) {
    return {
      kind: 'tool',
      name: DEMO_CALCULATOR,
      args: { expression },
      reasoning: `The question contains arithmetic (${expression}); the calculator will get it exactly right.`,
    };
  }
  if (asksForTime(text) && toolNames.includes(DEMO_CLOCK)) {
    return {
      kind: 'tool',
      name: DEMO_CLOCK,
      args: {},
      reasoning: 'The question is about the current time, which only the clock tool knows.',
    };
  }
  return { kind: 'answer', text: composeDemoAnswer(text) };
}
