import { BadRequestException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** What a request id must look like, after the name of the field that carries it. */
export const REQUEST_ID_MESSAGE =
  'must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit.';

/** The client's X-Request-Id when it is well formed, a new UUID v4 when absent; else 400. */
export function resolveRequestId(header: string | string[] | undefined): string {
  if (header === undefined) return randomUUID();
  if (typeof header !== 'string' || !REQUEST_ID_PATTERN.test(header)) {
    throw new BadRequestException(`X-Request-Id ${REQUEST_ID_MESSAGE}`);
  }
  return header;
}
