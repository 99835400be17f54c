import fc from 'fast-check';
import { REQUEST_ID_PATTERN } from '../../src/chat/request-id';
import { type FuzzCase, type FuzzTarget, baseHeaders } from './fuzz-case';
import {
  PROTOTYPE_KEYS,
  blankString,
  nastyString,
  percentEncode,
  stringWithNul,
} from './nasty-strings';

type Param = [name: string, value: string];

const KNOWN_PARAMS = [
  'query',
  'system',
  'model',
  'temperature',
  'maxTokens',
  'requestId',
  'lastEventId',
];

/** Valid optional parameters to put around the broken one. */
function validExtras(target: FuzzTarget): fc.Arbitrary<Param[]> {
  return fc.subarray<Param>([
    ['system', 'be brief'],
    ['model', target.allowedModels[0] ?? 'x'],
    ['temperature', '0.5'],
    ['maxTokens', '16'],
  ]);
}

/** One parameter that `GET /api/chat/stream` must refuse. */
function badParam(target: FuzzTarget): fc.Arbitrary<Param[]> {
  const single = (name: string, value: fc.Arbitrary<string>): fc.Arbitrary<Param[]> =>
    value.map((text): Param[] => [
      ['query', 'hi'],
      [name, text],
    ]);
  const longQuery = fc
    .integer({ min: target.maxQueryChars + 1, max: target.maxQueryChars + 2000 })
    .map((length) => 'q'.repeat(length));
  const notWholeNumber = fc.oneof(
    fc.constantFrom(
      '0x10',
      '1e3',
      '',
      ' 5',
      '05',
      '0',
      '-1',
      '1.5',
      'Infinity',
      '+5',
      String(target.maxTokens + 1),
    ),
    fc
      .string({ maxLength: 6 })
      .filter((text) => !/^[1-9][0-9]{0,8}$/.test(text) || Number(text) > target.maxTokens),
  );
  const notDecimal = fc.oneof(
    fc.constantFrom('', '0x1', '1e0', '.5', 'NaN', '-0', '2.5', ' 1', '1.', 'Infinity'),
    fc
      .string({ maxLength: 6 })
      .filter((text) => !/^(?:0|[1-9][0-9]{0,2})(?:\.[0-9]{1,9})?$/.test(text) || Number(text) > 2),
  );
  return fc.oneof(
    fc
      .oneof(fc.constant(''), blankString, stringWithNul, longQuery)
      .map((query): Param[] => [['query', query]]),
    fc.constant<Param[]>([]),
    fc.constant<Param[]>([
      ['query', 'a'],
      ['query', 'b'],
    ]),
    fc.constantFrom<Param[]>([['query[]', 'hi']], [['query[a]', 'hi']], [['Query', 'hi']]),
    single('maxTokens', notWholeNumber),
    single('temperature', notDecimal),
    single(
      'model',
      fc.oneof(nastyString, fc.string()).filter((model) => !target.allowedModels.includes(model)),
    ),
    single('system', fc.oneof(stringWithNul, fc.constant('s'.repeat(8001)))),
    single(
      'requestId',
      fc.oneof(
        fc.constantFrom('', '.x', 'a b', 'a'.repeat(129)),
        nastyString.filter((id) => !REQUEST_ID_PATTERN.test(id)),
      ),
    ),
    single(
      'lastEventId',
      fc.oneof(
        fc.constantFrom('', '-1', '1e3', 'x', '1234567890'),
        nastyString.filter((id) => !/^\d{1,9}$/.test(id)),
      ),
    ),
    fc
      .tuple(
        fc.string().filter((name) => !KNOWN_PARAMS.includes(name)),
        fc.string(),
      )
      .map(([name, value]): Param[] => [
        ['query', 'hi'],
        [name, value],
      ]),
    fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.string()).map(([name, value]): Param[] => [
      ['query', 'hi'],
      [name, value],
    ]),
  );
}

function encodeParams(params: Param[], plusForSpace: boolean): string {
  return params
    .map(
      ([name, value]) =>
        `${percentEncode(name, plusForSpace)}=${percentEncode(value, plusForSpace)}`,
    )
    .join('&');
}

/** `GET /api/chat/stream` with one bad parameter among valid ones; invalid by construction. */
export function badQueries(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(badParam(target), validExtras(target), fc.boolean())
    .map(([bad, extras, plus]): FuzzCase => {
      const names = new Set(bad.map(([name]) => name));
      const params = [...bad, ...extras.filter(([name]) => !names.has(name))];
      return {
        label: 'query string',
        method: 'GET',
        path: `/api/chat/stream?${encodeParams(params, plus)}`,
        headers: baseHeaders(target),
        validity: 'invalid',
      };
    });
}

/** `GET /api/chat/stream` with an arbitrary query text: judged by the answer. */
export function arbitraryQueries(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.tuple(fc.oneof(fc.string(), nastyString), fc.boolean()).map(
    ([query, plus]): FuzzCase => ({
      label: 'query string: arbitrary query',
      method: 'GET',
      path: `/api/chat/stream?${encodeParams([['query', query]], plus)}`,
      headers: baseHeaders(target),
      validity: 'maybe-valid',
    }),
  );
}
