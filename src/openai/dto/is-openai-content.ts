import { ValidateBy } from 'class-validator';

/** A text part of an OpenAI message (`{"type": "text", "text": "..."}`). */
export interface OpenAITextPart {
  type: 'text';
  text: string;
}

function isTextPart(part: unknown): part is OpenAITextPart {
  if (typeof part !== 'object' || part === null || Array.isArray(part)) return false;
  const { type, text } = part as { type?: unknown; text?: unknown };
  return type === 'text' && typeof text === 'string' && !text.includes('\u0000');
}

/**
 * OpenAI message content as this gateway takes it: a string, or a list of text parts. Images,
 * audio and files are refused (400) rather than silently dropped.
 */
export function IsOpenAIContent(): PropertyDecorator {
  return ValidateBy({
    name: 'isOpenAIContent',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string'
          ? !value.includes('\u0000')
          : Array.isArray(value) &&
            value.length > 0 &&
            value.length <= 100 &&
            value.every(isTextPart),
      defaultMessage: () =>
        'each message content must be a string or a list of {"type": "text", "text": "..."} parts (without NUL characters); other part types are not supported',
    },
  });
}

/** The text of validated content. */
export function contentText(content: string | OpenAITextPart[]): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}
