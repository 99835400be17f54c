import { BadRequestException } from '@nestjs/common';
import { jsonNestingDepth } from './json-nesting-depth';
import { MAX_JSON_DEPTH, parseJsonBody } from './parse-json-body';

const parse = (text: string): unknown => parseJsonBody(Buffer.from(text, 'utf8'));
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJsonBody', () => {
  it('parses a JSON object; an empty body is {}', () => {
    expect(parse('{"query":"hi","n":[1,{"a":null}]}')).toEqual({
      query: 'hi',
      n: [1, { a: null }],
    });
    expect(parseJsonBody(Buffer.alloc(0))).toEqual({});
    expect(parse('\ufeff{"a":1}')).toEqual({ a: 1 });
  });

  it(`takes ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}`, () => {
    expect(() => parse(nested(MAX_JSON_DEPTH))).toThrow(/must be a JSON object/);
    expect(() => parse(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`)).not.toThrow();
    expect(() => parse(`{"a":${nested(MAX_JSON_DEPTH)}}`)).toThrow(/deeper than 32 levels/);
    expect(() => parse(`{"a":${nested(100_000)}}`)).toThrow(/deeper than 32 levels/);
  });

  it.each([
    ['{"__proto__":{"x":1}}', /prototype keys/],
    ['{"a":[{"\\u005f_proto__":1}]}', /prototype keys/],
    ['{"constructor":{"prototype":{}}}', /prototype keys/],
    ['{"constructor":1}', /"constructor"/],
    ['{"a":{"b":[{"toString":"x"}]}}', /"toString"/],
    ['{"valueOf":1}', /"valueOf"/],
    ['{"isPrototypeOf":1}', /"isPrototypeOf"/],
    ['{"__defineGetter__":1}', /"__defineGetter__"/],
    ['{"prototype":1}', /"prototype"/],
    ['[1]', /must be a JSON object/],
    ['"text"', /must be a JSON object/],
    ['null', /must be a JSON object/],
    ['{"a":', /not valid JSON/],
    [' ', /not valid JSON/],
  ])('refuses %s', (text, message) => {
    expect(() => parse(text)).toThrow(BadRequestException);
    expect(() => parse(text)).toThrow(message);
  });

  it('never echoes the body in its message', () => {
    expect(() => parse('{"secret-value": oops}')).toThrow(/^The request body is not valid JSON\.$/);
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"q":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expect(() => parseJsonBody(bytes)).toThrow(/not valid UTF-8/);
  });

  it('allows keys that merely contain a prototype name', () => {
    expect(parse('{"myConstructor":1,"toStringy":2,"proto":3}')).toEqual({
      myConstructor: 1,
      toStringy: 2,
      proto: 3,
    });
  });
});

describe('jsonNestingDepth', () => {
  it.each([
    ['1', 0],
    ['{}', 1],
    ['{"a":[{}]}', 3],
    ['{"a":"[[[[{{{{"}', 1],
    ['{"a":"\\"[[[["}', 1],
    ['{"a\\\\":[[]]}', 3],
    ['[[],[[]],[]]', 3],
  ])('%s is %i deep', (text, depth) => {
    expect(jsonNestingDepth(text)).toBe(depth);
  });

  it('stops counting past the limit', () => {
    expect(jsonNestingDepth(nested(1000), 5)).toBe(6);
  });
});
