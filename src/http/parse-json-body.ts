import { BadRequestException } from '@nestjs/common';
import secureJsonParse from 'secure-json-parse';
import { jsonNestingDepth } from './json-nesting-depth';
import { findPrototypeKey } from './prototype-keys';

/** Far more than any request of ours needs (a chat body is 3 deep), far less than a stack. */
export const MAX_JSON_DEPTH = 32;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new BadRequestException('The request body is not valid UTF-8.');
  }
}

function parseSecurely(text: string): unknown {
  try {
    // The same checks as Fastify's body parser: `__proto__` and `constructor.prototype` are errors.
    return secureJsonParse.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (error: unknown) {
    if (error instanceof SyntaxError && /forbidden prototype property/.test(error.message)) {
      throw new BadRequestException('The request body must not use prototype keys ("__proto__").');
    }
    // The parser's own message quotes the body; never echo the input back.
    throw new BadRequestException('The request body is not valid JSON.');
  }
}

/**
 * A JSON request body, checked before validation can trip over it: UTF-8, at most
 * `MAX_JSON_DEPTH` levels, no prototype keys at any depth, and an object at the top. An empty
 * body is `{}`, as with Express's JSON parser. Throws a `BadRequestException` otherwise.
 */
export function parseJsonBody(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) return {};
  const text = decodeUtf8(bytes);
  if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new BadRequestException(
      `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
    );
  }
  const value = parseSecurely(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestException('The request body must be a JSON object.');
  }
  const prototypeKey = findPrototypeKey(value);
  if (prototypeKey !== undefined) {
    throw new BadRequestException(
      `The request body must not use the key "${prototypeKey}": it names a prototype member.`,
    );
  }
  return value as Record<string, unknown>;
}
