import fc from 'fast-check';
import { REQUEST_ID_PATTERN } from '../../src/chat/request-id';
import type { FuzzTarget } from './fuzz-case';
import {
  PROTOTYPE_KEYS,
  blankString,
  nastyString,
  percentEncode,
  stringWithNul,
} from './nasty-strings';

/** A form as a list of fields, in order (a name may repeat). */
export type FormField = [name: string, value: string];

const FORM_FIELDS = ['query', 'requestId', 'pipeline'];

/** `application/x-www-form-urlencoded`, spaces as `+` or `%20`. */
export function encodeForm(fields: FormField[], plusForSpace: boolean): string {
  return fields
    .map(
      ([name, value]) =>
        `${percentEncode(name, plusForSpace)}=${percentEncode(value, plusForSpace)}`,
    )
    .join('&');
}

/** The question form of the htmx pages, as a browser posts it; a fresh request id each time. */
export function validQuestionForm(): fc.Arbitrary<FormField[]> {
  return fc
    .tuple(fc.constantFrom('hi', 'Tell me a joke'), fc.uuid(), fc.boolean())
    .map(([query, requestId, withPipeline]) => {
      const fields: FormField[] = [
        ['query', query],
        ['requestId', requestId],
      ];
      if (withPipeline) fields.push(['pipeline', 'chat']);
      return fields;
    });
}

/**
 * Whether text has no lone surrogate. One makes the value's percent-encoding invalid UTF-8, and
 * the form parser then keeps the whole value undecoded (`%00` stays three harmless characters):
 * no longer bad by construction, so such values go to the arbitrary forms only.
 */
function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

/** Request id values the form must refuse. */
const badRequestIdValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', '.x', '-x', 'a b', 'a/b', 'a'.repeat(129), 'é'),
  nastyString.filter((id) => !REQUEST_ID_PATTERN.test(id)),
);

/** One field of a valid question form broken, removed or repeated; all invalid by construction. */
export function wrongQuestionForm(target: FuzzTarget): fc.Arbitrary<FormField[]> {
  const longQuery = fc
    .integer({ min: target.maxQueryChars + 1, max: target.maxQueryChars + 2000 })
    .map((length) => 'q'.repeat(length));
  const replace = (name: string, values: fc.Arbitrary<string[]>) =>
    fc
      .tuple(validQuestionForm(), values)
      .map(([form, value]): FormField[] => [
        ...form.filter(([field]) => field !== name),
        ...value.map((text): FormField => [name, text]),
      ]);
  const one = (values: fc.Arbitrary<string>) => values.map((value) => [value]);
  return fc.oneof(
    replace('query', fc.constant([])),
    replace('query', one(fc.oneof(blankString, stringWithNul, longQuery).filter(isWellFormed))),
    replace('query', fc.constant(['a', 'b'])),
    replace('requestId', fc.constant([])),
    replace('requestId', one(badRequestIdValue)),
    replace('requestId', fc.constant(['abc', 'abd'])),
    replace('pipeline', one(fc.constantFrom('', 'Chat', 'nope', 'chat!', ' chat'))),
    replace('pipeline', fc.constant(['chat', 'chat'])),
    fc
      .tuple(
        validQuestionForm(),
        fc.oneof(
          fc.constantFrom('query[]', 'Query', 'requestid', 'model', 'x'),
          fc.string({ minLength: 1 }),
        ),
        fc.string(),
      )
      .filter(([, name]) => !FORM_FIELDS.includes(name) && !PROTOTYPE_KEYS.includes(name))
      .map(([form, name, value]): FormField[] => [...form, [name, value]]),
    // More fields than the form parser takes (20).
    fc
      .tuple(validQuestionForm(), fc.integer({ min: 21, max: 60 }))
      .map(([form, count]): FormField[] => [
        ...form,
        ...Array.from({ length: count }, (_, index): FormField => [`f${index}`, 'x']),
      ]),
  );
}

/** A valid question form with a field named after an `Object.prototype` member: refused (400). */
export function prototypeKeyForm(): fc.Arbitrary<FormField[]> {
  return fc
    .tuple(validQuestionForm(), fc.constantFrom(...PROTOTYPE_KEYS), fc.string(), fc.boolean())
    .map(([form, name, value, first]): FormField[] =>
      first ? [[name, value], ...form] : [...form, [name, value]],
    );
}

/** Arbitrary fields, sometimes the right names with any value: judged by the answer. */
export function arbitraryForm(): fc.Arbitrary<FormField[]> {
  const name = fc.oneof(fc.constantFrom(...FORM_FIELDS), fc.string({ maxLength: 6 }));
  const value = fc.oneof(fc.string({ maxLength: 12 }), nastyString, fc.uuid());
  return fc.array(fc.tuple(name, value), { maxLength: 5 });
}
