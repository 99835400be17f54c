import { ValidateBy, type ValidationArguments } from 'class-validator';

const isPlainObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What each field of an answer this gateway returned may hold when a client sends it back. */
export const ANSWER_FIELDS = {
  refusal: (value: unknown) => value === null || typeof value === 'string',
  reasoning_content: (value: unknown) => typeof value === 'string',
  // The tools already ran on the server, and their results are not in the history to pair with.
  tool_calls: (value: unknown) =>
    Array.isArray(value) && value.length <= 128 && value.every(isPlainObject),
  // Added by the official client's stream()/parse() helpers to the message they hand back.
  parsed: (value: unknown) => value === null,
} satisfies Record<string, (value: unknown) => boolean>;

/**
 * A field of the assistant message the gateway answered with (`refusal`, `tool_calls`, …). The
 * SDKs' documented way to go on with a conversation appends that message to `messages`, so it
 * is accepted back on assistant messages and ignored (only the text is prompt); elsewhere 400.
 */
export function IsAnswerField(field: keyof typeof ANSWER_FIELDS): PropertyDecorator {
  return ValidateBy({
    name: 'isAnswerField',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        value === undefined ||
        ((args?.object as { role?: unknown }).role === 'assistant' && ANSWER_FIELDS[field](value)),
      defaultMessage: () =>
        `${field} is only accepted on an assistant message, as this service returned it`,
    },
  });
}
