/** The part of a mathjs expression tree node this file uses. */
interface MathNode {
  type: string;
  fn?: string | { name: string };
  name?: string;
  value?: unknown;
  traverse(visit: (node: MathNode, path: string, parent: MathNode | null) => void): void;
  evaluate(): unknown;
}

// mathjs ships one set of type declarations, marked as ES module, for both of its builds, which
// a CommonJS project cannot import; it loads the CommonJS build and declares what it uses above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse } = require('mathjs') as { parse: (expression: string) => MathNode };

const MAX_EXPRESSION_CHARS = 200;
const OPERATORS = new Set([
  'add',
  'subtract',
  'multiply',
  'divide',
  'pow',
  'mod',
  'unaryMinus',
  'unaryPlus',
]);
const FUNCTIONS = new Set([
  'sqrt',
  'cbrt',
  'abs',
  'round',
  'floor',
  'ceil',
  'exp',
  'log',
  'log10',
  'sin',
  'cos',
  'tan',
  'min',
  'max',
]);
const CONSTANTS = new Set(['pi', 'e']);

/** Whether every node of the parsed expression is plain arithmetic. */
function isArithmetic(root: MathNode): boolean {
  let allowed = true;
  root.traverse((node, _path, parent) => {
    switch (node.type) {
      case 'ConstantNode':
        allowed &&= typeof node.value === 'number';
        break;
      case 'ParenthesisNode':
        break;
      case 'OperatorNode':
        allowed &&= typeof node.fn === 'string' && OPERATORS.has(node.fn);
        break;
      case 'FunctionNode':
        allowed &&= typeof node.fn === 'object' && FUNCTIONS.has(node.fn.name);
        break;
      case 'SymbolNode': {
        // A symbol is either the name of an allowed function being called, or a constant.
        const name = node.name ?? '';
        const isCallee = parent?.type === 'FunctionNode';
        allowed &&= isCallee ? FUNCTIONS.has(name) : CONSTANTS.has(name);
        break;
      }
      default:
        allowed = false;
    }
  });
  return allowed;
}

/**
 * Evaluates arithmetic with mathjs's parser, after checking that the tree holds only numbers,
 * arithmetic operators, a few functions and pi/e: no assignments, no function definitions, no
 * access to anything else. Never `eval`. Throws an Error with a readable message otherwise.
 */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > MAX_EXPRESSION_CHARS) {
    throw new Error(`The expression is longer than ${MAX_EXPRESSION_CHARS} characters.`);
  }
  let tree: MathNode;
  try {
    tree = parse(expression);
  } catch {
    throw new Error(`"${expression}" is not an arithmetic expression.`);
  }
  if (!isArithmetic(tree)) {
    throw new Error(`"${expression}" uses something other than numbers and arithmetic.`);
  }
  const value: unknown = tree.evaluate();
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`"${expression}" has no finite numeric value.`);
  }
  return value;
}
