import fc from 'fast-check';

/** Keys naming an `Object.prototype` member, plus `prototype`: all refused in any body. */
export const PROTOTYPE_KEYS: readonly string[] = [
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
];

/** Characters that break naive handling: NUL, CR/LF, lone surrogates, separators, quotes. */
export const nastyChar: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\u0000',
    '\r',
    '\n',
    '\r\n',
    '\t',
    '\u2028',
    '\u2029',
    '\ufeff',
    '"',
    '\\',
    '%',
    '%00',
    '\u00a0',
    '\u{1F4A5}',
    'é',
    '../',
  ),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
);

export const nastyString: fc.Arbitrary<string> = fc
  .array(nastyChar, { minLength: 1, maxLength: 12 })
  .map((parts) => parts.join(''));

/** A string with a NUL somewhere: never a valid prompt. */
export const stringWithNul: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 8 }), nastyString)
  .map(([before, after]) => `${before}\u0000${after}`);

/** Whitespace only, in the many forms JavaScript's `\s` knows. */
export const blankString: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2028', '\ufeff', '\u3000'), {
    maxLength: 6,
  })
  .map((parts) => parts.join(''));

/** A character Node lets a client put in a header value: TAB, visible ASCII, space, latin-1. */
const headerChar: fc.Arbitrary<string> = fc
  .oneof(
    fc.constant(0x09),
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0x80, max: 0xff }),
  )
  .map((code) => String.fromCharCode(code));

export const headerValue: fc.Arbitrary<string> = fc
  .array(headerChar, { maxLength: 40 })
  .map((chars) => chars.join(''));

/** A header value as the server sees it: Node drops the spaces and tabs around it. */
export function trimHeader(value: string): string {
  return value.replace(/^[\t ]+|[\t ]+$/g, '');
}

/**
 * A character to put in a request path unencoded: visible ASCII. (Node's client would send latin-1
 * bytes too, but Node's server refuses them with a bare 400 before the app sees the request.)
 */
export const rawPathChar: fc.Arbitrary<string> = fc
  .integer({ min: 0x21, max: 0x7e })
  .map((code) => String.fromCharCode(code))
  .filter((char) => char !== '?' && char !== '#' && char !== '/');

/** Percent-encodes any text; a lone surrogate becomes the bytes of its (invalid) UTF-8 form. */
export function percentEncode(text: string, plusForSpace = false): string {
  let encoded = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    encoded +=
      char.length === 1 && code >= 0xd800 && code <= 0xdfff
        ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
            .map((byte) => `%${byte.toString(16).toUpperCase()}`)
            .join('')
        : encodeURIComponent(char);
  }
  return plusForSpace ? encoded.replace(/%20/g, '+') : encoded;
}
