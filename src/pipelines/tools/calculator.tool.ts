import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { evaluateArithmetic } from './evaluate-arithmetic';

/** Exact arithmetic for the agent; a bad expression becomes a tool error the model can see. */
export const calculatorTool = tool(
  ({ expression }) => {
    const value = evaluateArithmetic(expression);
    // Rounded to 12 significant digits, so 0.1 + 0.2 reads as 0.3.
    return String(Number(value.toPrecision(12)));
  },
  {
    name: 'calculator',
    description:
      'Evaluates an arithmetic expression exactly, e.g. "(12.5 + 3) * 4" or "sqrt(2) ^ 3". Use it for any arithmetic.',
    schema: z.object({ expression: z.string().describe('The expression to evaluate.') }),
  },
);
