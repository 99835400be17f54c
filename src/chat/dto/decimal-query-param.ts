import { applyDecorators } from '@nestjs/common';
import { Transform, type TransformFnParams } from 'class-transformer';
import { IsInt, IsNumber } from 'class-validator';

/** `maxTokens` as written in a URL: a positive whole number in plain decimal, no sign or padding. */
export const WHOLE_NUMBER_PARAM = /^[1-9][0-9]{0,8}$/;

/** `temperature` as written in a URL: a plain decimal such as `0.7` or `1`. */
export const DECIMAL_PARAM = /^(?:0|[1-9][0-9]{0,2})(?:\.[0-9]{1,9})?$/;

/**
 * A number from a query string, parsed strictly: only text matching `pattern` becomes a number;
 * anything else (`0x10`, `1e3`, ` 5`, ``) stays a string and fails validation with a 400. A bare
 * `Number()` would accept all of those (`Number('')` is 0).
 */
export function DecimalQueryParam(options: {
  pattern: RegExp;
  integer?: boolean;
}): PropertyDecorator {
  const { pattern, integer = false } = options;
  const toNumber = Transform(({ value }: TransformFnParams): unknown =>
    typeof value === 'string' && pattern.test(value) ? Number(value) : value,
  );
  const isNumber = integer
    ? IsInt({ message: '$property must be a whole number such as 512' })
    : IsNumber(
        { allowNaN: false, allowInfinity: false },
        { message: '$property must be a decimal number such as 0.7' },
      );
  return applyDecorators(toNumber, isNumber);
}
