import fc from 'fast-check';
import { BODY_ROUTES, type FuzzCase, type FuzzTarget, jsonPost } from './fuzz-case';
import { PROTOTYPE_KEYS, nastyString } from './nasty-strings';
import { KNOWN_FIELDS, malformed, validBody, wrongField } from './wrong-fields';
/** A key spelled with random `\uXXXX` escapes: the parsed key is the same. */
export function escapedKey(key: string): fc.Arbitrary<string> {
  return fc
    .array(fc.boolean(), { minLength: key.length, maxLength: key.length })
    .map((flags) =>
      [...key]
        .map((char, index) =>
          flags[index] ? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}` : char,
        )
        .join(''),
    );
}

/** A prototype key placed somewhere in an otherwise valid body. */
const prototypeKeyBody: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...PROTOTYPE_KEYS).chain(escapedKey),
    fc.jsonValue({ maxDepth: 2 }),
    fc.nat(3),
  )
  .map(([key, value, place]) => {
    const member = `"${key}":${JSON.stringify(value) ?? 'null'}`;
    switch (place) {
      case 0:
        return `{${member},"query":"hi"}`;
      case 1:
        return `{"messages":[{"role":"user","content":"hi",${member}}]}`;
      case 2:
        return `{"query":"hi","x":{"a":[{${member}}]}}`;
      default:
        return `{"query":"hi","system":"s",${member}}`;
    }
  });

/** Objects and arrays nested past the 32-level limit, up to thousands deep. */
const deepBody: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 33, max: 6000 }),
    fc.boolean(),
    fc.constantFrom('query', 'messages', 'x', ''),
  )
  .map(([depth, objects, field]) => {
    const open = objects ? '{"a":'.repeat(depth) + '1' : '['.repeat(depth);
    const close = (objects ? '}' : ']').repeat(depth);
    return field === '' ? open + close : `{"${field}":${open}${close}}`;
  });

/** A valid body with bytes that are never UTF-8 inside its query. */
const invalidUtf8: fc.Arbitrary<Buffer> = fc
  .constantFrom(
    [0xff],
    [0xc3],
    [0xed, 0xa0, 0x80],
    [0xc0, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xe2, 0x82],
  )
  .map((bytes) =>
    Buffer.concat([Buffer.from('{"query":"hi'), Buffer.from(bytes), Buffer.from('"}')]),
  );

/** Very many members (up to the body limit): each one costs class-transformer and -validator. */
function wide(target: FuzzTarget): fc.Arbitrary<string> {
  const count = fc.integer({ min: 101, max: Math.floor(target.bodyLimitBytes / 40) });
  return fc.oneof(
    count.map((n) =>
      JSON.stringify({
        messages: Array.from({ length: n }, () => ({ role: 'user', content: 'a' })),
      }),
    ),
    count.map((n) => JSON.stringify({ messages: Array.from({ length: n * 4 }, () => 1) })),
    count.map((n) =>
      JSON.stringify({
        query: 'hi',
        ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
      }),
    ),
    count.map((n) =>
      JSON.stringify({
        messages: [
          {
            role: 'user',
            content: 'hi',
            ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, []])),
          },
        ],
      }),
    ),
  );
}

/** Over MAX_QUERY_CHARS, over the 8000-char system limit, or over BODY_LIMIT (413). */
function huge(target: FuzzTarget): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .integer({ min: 1, max: 3000 })
      .map((extra) => JSON.stringify({ query: 'q'.repeat(target.maxQueryChars + extra) })),
    fc
      .integer({ min: 8001, max: 9000 })
      .map((length) => JSON.stringify({ query: 'hi', system: 's'.repeat(length) })),
    fc
      .integer({ min: 1, max: 20_000 })
      .map((extra) =>
        JSON.stringify({ query: 'hi', pad: 'p'.repeat(target.bodyLimitBytes + extra) }),
      ),
  );
}

/** Bad POST bodies on both body routes; all of them invalid by construction. */
export function badBodies(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const bodies: fc.Arbitrary<[string, string | Buffer]> = fc.oneof(
    {
      weight: 4,
      arbitrary: wrongField(target).map((body) => ['wrong field', body] as [string, string]),
    },
    {
      weight: 2,
      arbitrary: prototypeKeyBody.map((body) => ['prototype key', body] as [string, string]),
    },
    { weight: 1, arbitrary: deepBody.map((body) => ['deep nesting', body] as [string, string]) },
    {
      weight: 2,
      arbitrary: malformed(target).map((body) => ['malformed JSON', body] as [string, string]),
    },
    {
      weight: 1,
      arbitrary: invalidUtf8.map((body) => ['invalid UTF-8', body] as [string, Buffer]),
    },
    { weight: 1, arbitrary: huge(target).map((body) => ['huge', body] as [string, string]) },
    { weight: 1, arbitrary: wide(target).map((body) => ['wide', body] as [string, string]) },
  );
  return fc
    .tuple(bodies, fc.constantFrom(...BODY_ROUTES), fc.nat(3))
    .map(([[label, body], path, chunk]) => ({
      ...jsonPost({ target, label: `body: ${label}`, path, body }),
      chunked: chunk === 0,
    }));
}

/**
 * Valid bodies whose upload stops halfway (or whose Content-Length promises more): the request is
 * never complete, so it must never reach the upstream, and the app must keep serving.
 */
export function truncatedUploads(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(validBody(target), fc.constantFrom(...BODY_ROUTES), fc.boolean())
    .chain(([body, path, chunked]) => {
      const text = JSON.stringify(body);
      return fc.nat(text.length - 1).map((sent) => ({
        ...jsonPost({ target, label: 'body: truncated upload', path, body: text }),
        chunked,
        abortAfterBytes: sent,
      }));
    });
}

/** Arbitrary JSON (sometimes an object with a query) on both body routes: judged by the answer. */
export function arbitraryBodies(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const value = fc.oneof(
    fc.jsonValue(),
    fc.record({ query: fc.oneof(fc.string(), nastyString) }),
    fc.dictionary(fc.constantFrom(...KNOWN_FIELDS), fc.jsonValue({ maxDepth: 2 })),
  );
  return fc.tuple(value, fc.constantFrom(...BODY_ROUTES)).map(([body, path]) =>
    jsonPost({
      target,
      label: 'body: arbitrary JSON',
      path,
      body: JSON.stringify(body) ?? 'null',
      validity: 'maybe-valid',
    }),
  );
}
