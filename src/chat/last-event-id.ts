import { BadRequestException } from '@nestjs/common';

/** An SSE event id as this service writes them: the event's sequence number. */
export const EVENT_ID_PATTERN = /^\d{1,9}$/;

/**
 * Where a resuming client left off: the `Last-Event-ID` header, else the `lastEventId` query
 * parameter (for clients that cannot set headers). -1 (replay everything) when neither is sent.
 */
export function resolveLastEventId(header: unknown, query: unknown): number {
  const raw = typeof header === 'string' && header !== '' ? header : query;
  if (raw === undefined || raw === '') return -1;
  if (typeof raw !== 'string' || !EVENT_ID_PATTERN.test(raw)) {
    throw new BadRequestException('Last-Event-ID must be an event id: a whole number.');
  }
  return Number(raw);
}
