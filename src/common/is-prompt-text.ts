import { applyDecorators } from '@nestjs/common';
import { IsString, ValidateBy, buildMessage } from 'class-validator';

const BLANK = /^\s*$/;

/** Text with a NUL (U+0000) in it: never meaningful in a prompt, and truncated by C-based stores. */
function containsNul(text: string): boolean {
  return text.includes('\u0000');
}

/** A string that is not only whitespace; non-strings are left to `@IsString()` to report. */
function IsNotBlank(): PropertyDecorator {
  return ValidateBy({
    name: 'isNotBlank',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !BLANK.test(value),
      defaultMessage: buildMessage((each) => `${each}$property must not be blank`),
    },
  });
}

/** A string without NUL characters; non-strings are left to `@IsString()` to report. */
function HasNoNul(): PropertyDecorator {
  return ValidateBy({
    name: 'hasNoNul',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !containsNul(value),
      defaultMessage: buildMessage((each) => `${each}$property must not contain NUL characters`),
    },
  });
}

/**
 * Text that is sent to the model: a string without NUL characters, and unless `allowBlank`, not
 * blank (a whitespace-only question would be a paid call that asks nothing).
 */
export function IsPromptText(options: { allowBlank?: boolean } = {}): PropertyDecorator {
  const rules = [IsString(), HasNoNul()];
  if (!options.allowBlank) rules.push(IsNotBlank());
  return applyDecorators(...rules);
}
