import fc from 'fast-check';
import { escapedKey } from './bad-bodies';
import type { FuzzTarget } from './fuzz-case';
import { PROTOTYPE_KEYS } from './nasty-strings';

type Json = fc.JsonValue;
type JsonObject = { [key: string]: Json };

/** A body and what is wrong with it, for the label. */
export type LabelledBody = [label: string, body: string | Buffer];

/** Stands in for a member while the body is serialised, then is replaced by raw text. */
const MARKER = '__fuzz_marker__';

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every object inside `value` (itself included), so a member can go at any depth. */
function objectsIn(value: Json): JsonObject[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  if (!isObject(value)) return [];
  return [value, ...Object.values(value).flatMap(objectsIn)];
}

/** `body` serialised with the member `"<key>": <raw>` added to its `place`-th object. */
function withRawMember(body: JsonObject, place: number, key: string, raw: string): string {
  const copy = structuredClone(body);
  const objects = objectsIn(copy);
  objects[place % objects.length][MARKER] = MARKER;
  return JSON.stringify(copy).replace(`"${MARKER}":"${MARKER}"`, `"${key}":${raw}`);
}

/** A prototype key (spelt with random `\uXXXX` escapes too) at any depth of a valid body. */
function prototypeKeyIn(valid: fc.Arbitrary<JsonObject>): fc.Arbitrary<string> {
  return fc
    .tuple(
      valid,
      fc.nat(),
      fc.constantFrom(...PROTOTYPE_KEYS).chain(escapedKey),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([body, place, key, value]) =>
      withRawMember(body, place, key, JSON.stringify(value) ?? 'null'),
    );
}

/** Objects or arrays nested past the 32-level limit inside a valid body. */
function deepIn(valid: fc.Arbitrary<JsonObject>): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.nat(), fc.integer({ min: 33, max: 6000 }), fc.boolean())
    .map(([body, place, depth, objects]) => {
      const open = objects ? '{"a":'.repeat(depth) + '1' : '['.repeat(depth);
      const close = (objects ? '}' : ']').repeat(depth);
      return withRawMember(body, place, 'deep', open + close);
    });
}

/** Not JSON: a proper prefix of a valid body, or a valid body with something after it. */
function malformedFrom(valid: fc.Arbitrary<JsonObject>): fc.Arbitrary<string> {
  const prefix = valid.chain((body) => {
    const text = JSON.stringify(body);
    return fc.nat(text.length - 1).map((end) => text.slice(0, end));
  });
  const trailing = fc
    .tuple(valid, fc.constantFrom('x', ',', '}', ']', '"', '{}', 'null'))
    .map(([body, tail]) => JSON.stringify(body) + tail);
  const notJson = valid.chain((body) => {
    const text = JSON.stringify(body);
    return fc.constantFrom(
      text.replace(/"/g, "'"),
      text.replace(/}$/, ',}'),
      text.replace(/^{/, '{/* c */'),
      text.replace(/"([^"]+)":/, '$1:'),
      text.replace(/:"/, ':"\u0001'),
    );
  });
  return fc.oneof(prefix, trailing, notJson);
}

/** A valid body with bytes that are never UTF-8 at the start of its first string value. */
function invalidUtf8In(valid: fc.Arbitrary<JsonObject>): fc.Arbitrary<Buffer> {
  const bytes = fc.constantFrom(
    [0xff],
    [0xc3],
    [0xed, 0xa0, 0x80],
    [0xc0, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xe2, 0x82],
  );
  return fc.tuple(valid, bytes).map(([body, raw]) => {
    const text = JSON.stringify(body);
    const at = text.indexOf(':"') + 2;
    const head = Buffer.from(text.slice(0, at));
    return Buffer.concat([head, Buffer.from(raw), Buffer.from(text.slice(at))]);
  });
}

/** Over BODY_LIMIT (413), or with thousands of unknown members (each one costs the validator). */
function oversized(valid: fc.Arbitrary<JsonObject>, target: FuzzTarget): fc.Arbitrary<string> {
  const huge = fc
    .tuple(valid, fc.integer({ min: 1, max: 20_000 }))
    .map(([body, extra]) =>
      JSON.stringify({ ...body, pad: 'p'.repeat(target.bodyLimitBytes + extra) }),
    );
  const wide = fc
    .tuple(valid, fc.integer({ min: 101, max: Math.floor(target.bodyLimitBytes / 40) }))
    .map(([body, count]) =>
      JSON.stringify({
        ...body,
        ...Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index])),
      }),
    );
  return fc.oneof(huge, wide);
}

/**
 * Bodies any JSON route must refuse before its DTO sees them, built from `valid` bodies of that
 * route so that nothing but the breakage is wrong. All invalid by construction.
 */
export function brokenJson(
  valid: fc.Arbitrary<JsonObject>,
  target: FuzzTarget,
): fc.Arbitrary<LabelledBody> {
  const labelled = (label: string, bodies: fc.Arbitrary<string | Buffer>) =>
    bodies.map((body): LabelledBody => [label, body]);
  return fc.oneof(
    { weight: 2, arbitrary: labelled('prototype key', prototypeKeyIn(valid)) },
    { weight: 1, arbitrary: labelled('deep nesting', deepIn(valid)) },
    { weight: 2, arbitrary: labelled('malformed JSON', malformedFrom(valid)) },
    { weight: 1, arbitrary: labelled('invalid UTF-8', invalidUtf8In(valid)) },
    { weight: 1, arbitrary: labelled('oversized', oversized(valid, target)) },
  );
}
