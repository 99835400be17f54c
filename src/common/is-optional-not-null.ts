import { ValidateIf } from 'class-validator';

/**
 * Like `@IsOptional()`, except that `null` is not "absent": `{"model": null}` must be a 400, not
 * the default model. Only a missing property skips the property's other validators.
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
