import fc from 'fast-check';
import type { FuzzTarget } from './fuzz-case';
import { PROTOTYPE_KEYS, blankString, nastyString, stringWithNul } from './nasty-strings';

type Json = fc.JsonValue;

/** A body that passes validation, before one field is broken. */
export function validBody(target: FuzzTarget): fc.Arbitrary<Record<string, Json>> {
  const prompt: fc.Arbitrary<Record<string, Json>> = fc
    .constantFrom('hi', 'Tell me a joke')
    .map((query) => ({ query }));
  const conversation: fc.Arbitrary<Record<string, Json>> = fc
    .constant('hi')
    .map((content) => ({ messages: [{ role: 'user', content }] }));
  const extras = fc.record(
    {
      system: fc.constant('be brief'),
      model: fc.constantFrom(...target.allowedModels),
      temperature: fc.constantFrom(0, 0.5, 2),
      maxTokens: fc.constantFrom(1, target.maxTokens),
      onDisconnect: fc.constantFrom('cancel', 'continue'),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(fc.oneof(prompt, conversation), extras).map(([base, more]) => {
    const body: Record<string, Json> = { ...base };
    for (const [key, value] of Object.entries(more)) if (value !== undefined) body[key] = value;
    return body;
  });
}

/** For each field, values that must be refused. */
export function wrongValues(target: FuzzTarget): fc.Arbitrary<[string, Json]> {
  const longQuery = fc
    .integer({ min: target.maxQueryChars + 1, max: target.maxQueryChars + 2000 })
    .map((length) => 'x'.repeat(length));
  const badMessage: fc.Arbitrary<Json> = fc.oneof(
    fc.constantFrom<Json>(null, 1, 'hi', [], [[]], {}, { role: 'user' }, { content: 'hi' }),
    fc.record({
      role: fc.string().filter((r) => !['system', 'user', 'assistant'].includes(r)),
      content: fc.constant('hi'),
    }),
    fc.record({ role: fc.constant('user'), content: fc.oneof(blankString, stringWithNul) }),
    fc.record({ role: fc.constant('user'), content: fc.constant('hi'), extra: fc.jsonValue() }),
    fc.record({ role: fc.constant('user'), content: fc.constantFrom<Json>(null, 5, [], {}, true) }),
  );
  const notInRange = (low: number, high: number) => (n: number) => !(n >= low && n <= high);
  return fc.oneof(
    fc.tuple(
      fc.constant('query'),
      fc.oneof(
        fc.constantFrom<Json>(42, true, null, [], {}, ['hi']),
        blankString,
        stringWithNul,
        longQuery,
      ),
    ),
    fc.tuple(
      fc.constant('messages'),
      fc.oneof(
        fc.constantFrom<Json>([], 'hi', null, {}, 5),
        fc
          .array(badMessage, { minLength: 1, maxLength: 3 })
          .map((bad) => [{ role: 'user', content: 'hi' }, ...bad]),
        fc.constant(Array.from({ length: 101 }, () => ({ role: 'user', content: 'a' }))),
      ),
    ),
    fc.tuple(
      fc.constant('system'),
      fc.oneof(fc.constantFrom<Json>(null, 5, [], {}, 'x'.repeat(8001)), stringWithNul),
    ),
    fc.tuple(
      fc.constant('model'),
      fc
        .oneof(fc.constantFrom<Json>(null, 5, [], ''), nastyString, fc.string())
        .filter((m) => !target.allowedModels.includes(m as string)),
    ),
    fc.tuple(
      fc.constant('temperature'),
      fc.oneof(
        fc.constantFrom<Json>(null, '0.5', true, [], {}),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter(notInRange(0, 2)),
      ),
    ),
    fc.tuple(
      fc.constant('maxTokens'),
      fc.oneof(
        fc.constantFrom<Json>(null, '16', 1.5, true),
        fc.integer().filter(notInRange(1, target.maxTokens)),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
      ),
    ),
    fc.tuple(
      fc.constant('onDisconnect'),
      fc.oneof(
        fc.constantFrom<Json>(null, 1, true, 'Cancel'),
        fc.string().filter((v) => v !== 'cancel' && v !== 'continue'),
      ),
    ),
    fc.tuple(
      fc.string().filter((key) => !KNOWN_FIELDS.has(key) && !PROTOTYPE_KEYS.includes(key)),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  );
}

export const KNOWN_FIELDS = new Set([
  'query',
  'messages',
  'system',
  'model',
  'temperature',
  'maxTokens',
  'onDisconnect',
]);

/** A valid body with exactly one field broken (or both / neither of query and messages). */
export function wrongField(target: FuzzTarget): fc.Arbitrary<string> {
  const broken = fc.tuple(validBody(target), wrongValues(target)).map(([body, [key, value]]) => {
    const copy: Record<string, Json> = { ...body, [key]: value };
    return copy;
  });
  const bothOrNeither = validBody(target).chain((body) =>
    fc.constantFrom(
      { ...body, query: 'hi', messages: [{ role: 'user', content: 'hi' }] },
      Object.fromEntries(
        Object.entries(body).filter(([key]) => key !== 'query' && key !== 'messages'),
      ),
    ),
  );
  return fc.oneof(broken, bothOrNeither).map((body) => JSON.stringify(body));
}

/** Text that is not JSON: a proper prefix of an object, or an object with something after it. */
export function malformed(target: FuzzTarget): fc.Arbitrary<string> {
  const prefix = validBody(target).chain((body) => {
    const text = JSON.stringify(body);
    return fc.nat(text.length - 1).map((end) => text.slice(0, end));
  });
  const trailing = fc
    .tuple(validBody(target), fc.constantFrom('x', ',', '}', ']', '"', '{}', 'null'))
    .map(([body, tail]) => JSON.stringify(body) + tail);
  const notJson = fc.constantFrom(
    "{'query':'hi'}",
    '{"query":"hi",}',
    '{/* c */"query":"hi"}',
    '{"query":"hi","temperature":NaN}',
    '{"query":"hi","maxTokens":0x10}',
    '{query:"hi"}',
    '{"query":"\\x41"}',
    '{"query":"a\u0001b"}',
  );
  return fc.oneof(prefix, trailing, notJson);
}
