import fc from 'fast-check';
import type { FuzzTarget } from './fuzz-case';
import { PROTOTYPE_KEYS, blankString, nastyString, stringWithNul } from './nasty-strings';

type Json = fc.JsonValue;
type JsonObject = { [key: string]: Json };

/** The request fields `/v1/chat/completions` honours; anything else is a 400. */
const OPENAI_FIELDS = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'user',
  'pipeline',
]);

const TOKEN_FIELDS = ['max_tokens', 'max_completion_tokens'];

/** OpenAI parameters this gateway does not take: refused rather than silently ignored. */
const UNSUPPORTED_FIELDS = ['tools', 'tool_choice', 'response_format', 'logprobs', 'seed', 'stop'];

/** A request the official client could send, that the gateway must stream (or answer whole). */
export function validOpenAIBody(target: FuzzTarget): fc.Arbitrary<JsonObject> {
  const content = fc.constantFrom<Json>('hi', 'Tell me a joke', [{ type: 'text', text: 'hi' }]);
  const earlier = fc.subarray<JsonObject>([
    { role: 'system', content: 'be brief' },
    { role: 'developer', content: 'be brief' },
    { role: 'assistant', content: 'hello', name: 'bot' },
  ]);
  const extras = fc.record(
    {
      stream: fc.constantFrom(true, true, false),
      stream_options: fc.boolean().map((include_usage) => ({ include_usage })),
      temperature: fc.constantFrom(0, 0.5, 2),
      max_tokens: fc.constantFrom(1, target.maxTokens),
      max_completion_tokens: fc.constantFrom(1, target.maxTokens),
      n: fc.constant(1),
      user: fc.constant('user-1'),
      pipeline: fc.constant('chat'),
    },
    { requiredKeys: [] },
  );
  return fc
    .tuple(fc.constantFrom(...target.allowedModels), earlier, content, extras)
    .map(([model, before, last, more]) => {
      const body: JsonObject = { model, messages: [...before, { role: 'user', content: last }] };
      for (const [key, value] of Object.entries(more)) if (value !== undefined) body[key] = value;
      return body;
    });
}

/** Messages the route must refuse: not an object, no role or content, a role or part it lacks. */
const badMessage: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, 1, 'hi', [], {}, { role: 'user' }, { content: 'hi' }),
  fc
    .oneof(fc.constantFrom<Json>('tool', 'function', 'User', '', null, 5), nastyString)
    .map((role) => ({ role, content: 'hi' })),
  fc
    .oneof(
      fc.constantFrom<Json>(null, 5, true, {}, [], ['hi'], [{ text: 'hi' }], [{ type: 'text' }]),
      fc.constantFrom<Json>(
        [{ type: 'text', text: 5 }],
        [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }],
        [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
        [
          { type: 'text', text: 'hi' },
          { type: 'file', file: { file_id: 'f' } },
        ],
        Array.from({ length: 101 }, () => ({ type: 'text', text: 'a' })),
      ),
      stringWithNul,
      stringWithNul.map((text) => [{ type: 'text', text }]),
    )
    .map((content) => ({ role: 'user', content })),
  fc
    .constantFrom<Json>({ tool_calls: [] }, { tool_call_id: 'x' }, { foo: 1 }, { name: 5 })
    .map((extra) => ({ role: 'user', content: 'hi', ...(extra as JsonObject) })),
  fc.constant({ role: 'user', content: 'hi', name: 'n'.repeat(65) }),
);

const notInRange = (low: number, high: number) => (n: number) => !(n >= low && n <= high);
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

/** For each field, values that must be refused. */
function wrongOpenAIValue(target: FuzzTarget): fc.Arbitrary<[string, Json | undefined]> {
  const field = (name: string, values: fc.Arbitrary<Json | undefined>) =>
    values.map((value): [string, Json | undefined] => [name, value]);
  const tokens = fc.oneof(
    fc.constantFrom<Json>(null, '16', 0, -1, 1.5, true),
    fc.integer({ min: target.maxTokens + 1 }),
    fc.integer({ max: 0 }),
  );
  // Messages are the richest part of the body: half of the broken fields are in them.
  const messages = field(
    'messages',
    fc.oneof<fc.MaybeWeightedArbitrary<Json | undefined>[]>(
      fc.constantFrom<Json | undefined>(undefined, null, [], 'hi', {}, 5),
      fc.constant(Array.from({ length: 101 }, () => ({ role: 'user', content: 'a' }))),
      {
        weight: 4,
        arbitrary: fc
          .array(badMessage, { minLength: 1, maxLength: 3 })
          .map((bad): Json => [{ role: 'user', content: 'hi' }, ...bad]),
      },
      fc
        .integer({ min: 1, max: 2000 })
        .map((extra) => [{ role: 'user', content: 'x'.repeat(target.maxInputChars + extra) }]),
    ),
  );
  const others = fc.oneof(
    field(
      'model',
      fc
        .oneof(
          fc.constantFrom<Json | undefined>(undefined, null, 5, '', [], 'gpt-4o', 'm'.repeat(129)),
          nastyString,
          fc.string(),
        )
        .filter((model) => !target.allowedModels.includes(model as string)),
    ),
    field('stream', fc.constantFrom<Json>('true', 1, null, 'yes', {})),
    field(
      'stream_options',
      fc.constantFrom<Json>(
        null,
        'x',
        5,
        [],
        { include_usage: 'yes' },
        { include_usage: null },
        { foo: true },
      ),
    ),
    field(
      'temperature',
      fc.oneof(
        fc.constantFrom<Json>(null, '0.5', true, [], {}),
        anyDouble.filter(notInRange(0, 2)),
      ),
    ),
    field('max_tokens', tokens),
    field('max_completion_tokens', tokens),
    field('n', fc.constantFrom<Json>(0, 2, null, '1', 1.5)),
    field('user', fc.constantFrom<Json>(5, null, 'u'.repeat(257))),
    field(
      'pipeline',
      fc.oneof(fc.constantFrom<Json>(null, 5, '', 'Chat', 'nope', 'chat!'), blankString),
    ),
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...UNSUPPORTED_FIELDS),
        fc.string().filter((key) => !OPENAI_FIELDS.has(key) && !PROTOTYPE_KEYS.includes(key)),
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  );
  return fc.oneof(others, messages);
}

/** A valid request with exactly one field broken (or removed). */
export function wrongOpenAIField(target: FuzzTarget): fc.Arbitrary<string> {
  return fc.tuple(validOpenAIBody(target), wrongOpenAIValue(target)).map(([body, [key, value]]) => {
    const copy: JsonObject = { ...body };
    // max_completion_tokens wins over max_tokens: break the one that counts, alone.
    if (key.startsWith('max_')) for (const name of TOKEN_FIELDS) delete copy[name];
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return JSON.stringify(copy);
  });
}

/** Arbitrary JSON in roughly the request's shape: judged by the answer. */
export function arbitraryOpenAIBody(target: FuzzTarget): fc.Arbitrary<string> {
  const message = fc.record(
    {
      role: fc.constantFrom('user', 'system', 'assistant', 'developer'),
      content: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: ['role'] },
  );
  return fc
    .oneof(
      fc.jsonValue(),
      fc.record({
        model: fc.constantFrom(...target.allowedModels),
        messages: fc.array(message, { minLength: 1, maxLength: 3 }),
        stream: fc.boolean(),
      }),
      fc
        .record({
          model: fc.constantFrom(...target.allowedModels),
          messages: fc.constant([{ role: 'user', content: 'hi' }]),
          stream: fc.constant(true),
          extra: fc.dictionary(fc.constantFrom(...OPENAI_FIELDS), fc.jsonValue({ maxDepth: 2 })),
        })
        .map(({ extra, ...rest }) => ({ ...rest, ...extra })),
    )
    .map((body) => JSON.stringify(body) ?? 'null');
}
