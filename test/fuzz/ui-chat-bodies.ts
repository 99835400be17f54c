import fc from 'fast-check';
import { REQUEST_ID_PATTERN } from '../../src/chat/request-id';
import type { FuzzTarget } from './fuzz-case';
import { PROTOTYPE_KEYS, blankString, nastyString, stringWithNul } from './nasty-strings';
import { wrongValues } from './wrong-fields';

type Json = fc.JsonValue;
type JsonObject = { [key: string]: Json };

const UI_FIELDS = new Set([
  'id',
  'messages',
  'trigger',
  'messageId',
  'pipeline',
  'model',
  'temperature',
  'maxTokens',
  'onDisconnect',
]);

/** Fields the native body and this one share, broken the same way (native `wrongValues`). */
const SHARED_FIELDS = new Set(['model', 'temperature', 'maxTokens', 'onDisconnect']);

const text = (value: string): JsonObject => ({ type: 'text', text: value });

/** An earlier answer as useChat sends it back: its own reasoning, tool and step parts. */
const earlierAnswer: JsonObject = {
  id: 'a1',
  role: 'assistant',
  parts: [
    { type: 'step-start' },
    { type: 'reasoning', text: 'thinking' },
    { type: 'tool-calculator', toolCallId: 't1', state: 'output-available', input: {}, output: 42 },
    { type: 'data-usage', data: { inputTokens: 1 } },
    text('42'),
  ],
};

const ownPartsOnly = (earlierAnswer.parts as JsonObject[]).filter((part) => part.type !== 'text');

/** `DefaultChatTransport`'s body: `{id, messages, trigger, messageId}`, plus this service's fields. */
export function validUiBody(target: FuzzTarget): fc.Arbitrary<JsonObject> {
  const history = fc.subarray<JsonObject>([
    { id: 's1', role: 'system', parts: [text('be brief')] },
    { id: 'u0', role: 'user', parts: [text('What is 6*7?')], metadata: { at: 1 } },
    earlierAnswer,
  ]);
  const last = fc
    .constantFrom<Json>([text('hi')], [text('Tell '), text('me a joke')])
    .map((parts): JsonObject => ({ id: 'u1', role: 'user', parts }));
  const extras = fc.record(
    {
      trigger: fc.constantFrom('submit-message', 'regenerate-message'),
      messageId: fc.constant('u1'),
      pipeline: fc.constant('chat'),
      model: fc.constantFrom(...target.allowedModels),
      temperature: fc.constantFrom(0, 1, 2),
      maxTokens: fc.constantFrom(1, target.maxTokens),
      onDisconnect: fc.constantFrom('cancel', 'continue'),
    },
    { requiredKeys: [] },
  );
  const chatId = fc.oneof(fc.uuid(), fc.constantFrom('chat-1', 'c.2:x', target.knownChatId));
  return fc.tuple(chatId, history, last, extras).map(([id, before, user, more]) => {
    const body: JsonObject = { id, messages: [...before, user] };
    for (const [key, value] of Object.entries(more)) if (value !== undefined) body[key] = value;
    return body;
  });
}

/** Parts a user message may not have: no text at all, files, another message's own parts. */
const badUserParts: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    'hi',
    {},
    [],
    [5],
    ['hi'],
    [null],
    [{}],
    [{ type: 5 }],
    [{ type: 'text' }],
    [{ type: 'text', text: 5 }],
    [{ type: 'file', mediaType: 'image/png', url: 'data:image/png;base64,AAAA' }],
    [text('hi'), { type: 'image', image: 'x' }],
    [{ type: 'reasoning', text: 'hi' }],
    [{ type: 'step-start' }],
    [{ type: 'tool-calculator', toolCallId: 't', state: 'input-available', input: {} }],
    Array.from({ length: 201 }, () => text('a')),
  ),
  fc.oneof(blankString, stringWithNul).map((value) => [text(value)]),
);

/** Messages the route must refuse. */
const badMessage: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, 1, 'hi', [], {}, { role: 'user', parts: [text('hi')] }),
  fc
    .constantFrom<Json>(5, null, 'i'.repeat(257))
    .map((id) => ({ id, role: 'user', parts: [text('hi')] })),
  fc
    .oneof(fc.constantFrom<Json>('tool', 'User', '', null, 5, 'data'), nastyString)
    .map((role) => ({ id: 'm', role, parts: [text('hi')] })),
  badUserParts.map((parts) => ({ id: 'm', role: 'user', parts })),
  fc
    .constantFrom<Json>('x', 5, [], null)
    .map((metadata) => ({ id: 'm', role: 'user', parts: [text('hi')], metadata })),
  // The AI SDK 4 shape (`content`) and any other member are not part of a UIMessage here.
  fc.constantFrom<Json>({ content: 'hi' }, { createdAt: 1 }, { foo: null }).map((extra) => ({
    id: 'm',
    role: 'user',
    parts: [text('hi')],
    ...(extra as JsonObject),
  })),
);

/** For each field, values that must be refused. */
function wrongUiValue(target: FuzzTarget): fc.Arbitrary<[string, Json | undefined]> {
  const field = (name: string, values: fc.Arbitrary<Json | undefined>) =>
    values.map((value): [string, Json | undefined] => [name, value]);
  // Messages are the richest part of the body: half of the broken fields are in them.
  const messages = field(
    'messages',
    fc.oneof<fc.MaybeWeightedArbitrary<Json | undefined>[]>(
      fc.constantFrom<Json | undefined>(undefined, null, [], 'hi', {}, 5),
      fc.constant(
        Array.from({ length: 101 }, (_, i) => ({
          id: `m${i}`,
          role: 'user',
          parts: [text('a')],
        })),
      ),
      // Only an earlier answer's own parts: nothing to answer.
      fc.constant([{ ...earlierAnswer, parts: ownPartsOnly }]),
      {
        weight: 4,
        arbitrary: fc
          .array(badMessage, { minLength: 1, maxLength: 2 })
          .map((bad): Json => [{ id: 'u', role: 'user', parts: [text('hi')] }, ...bad]),
      },
      fc
        .integer({ min: 1, max: 2000 })
        .map((extra) => [
          { id: 'u', role: 'user', parts: [text('x'.repeat(target.maxInputChars + extra))] },
        ]),
    ),
  );
  const others = fc.oneof(
    field(
      'id',
      fc.oneof(
        fc.constantFrom<Json | undefined>(undefined, null, 5, '', '.x', 'a b', 'a'.repeat(129)),
        nastyString.filter((id) => !REQUEST_ID_PATTERN.test(id)),
      ),
    ),
    field('trigger', fc.constantFrom<Json>(null, 5, 'submit', 'Submit-message', '')),
    field('messageId', fc.constantFrom<Json>(null, 5, 'm'.repeat(257), {})),
    field('pipeline', fc.constantFrom<Json>(null, 5, '', 'Chat', 'nope', 'chat!')),
    wrongValues(target).filter(([key]) => SHARED_FIELDS.has(key)),
    fc.tuple(
      fc.string().filter((key) => !UI_FIELDS.has(key) && !PROTOTYPE_KEYS.includes(key)),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  );
  return fc.oneof(others, messages);
}

/** A valid body with exactly one field broken (or removed). */
export function wrongUiField(target: FuzzTarget): fc.Arbitrary<string> {
  return fc.tuple(validUiBody(target), wrongUiValue(target)).map(([body, [key, value]]) => {
    const copy: JsonObject = { ...body };
    if (value === undefined) delete copy[key];
    else copy[key] = value;
    return JSON.stringify(copy);
  });
}

/** Arbitrary JSON in roughly the body's shape: judged by the answer. */
export function arbitraryUiBody(): fc.Arbitrary<string> {
  const part = fc.oneof(
    fc.record({
      type: fc.constantFrom('text', 'reasoning', 'file', 'step-start'),
      text: fc.oneof(fc.string(), nastyString),
    }),
    fc.jsonValue({ maxDepth: 1 }),
  );
  const message = fc.record({
    id: fc.string({ maxLength: 4 }),
    role: fc.constantFrom('user', 'assistant', 'system'),
    parts: fc.array(part, { maxLength: 3 }),
  });
  return fc
    .oneof(
      fc.jsonValue(),
      fc.record({ id: fc.string({ maxLength: 8 }), messages: fc.array(message, { maxLength: 3 }) }),
    )
    .map((body) => JSON.stringify(body) ?? 'null');
}
