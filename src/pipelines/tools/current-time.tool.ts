import { tool } from '@langchain/core/tools';
import { z } from 'zod';

/** The current date and time, in UTC or in an IANA time zone. */
export const currentTimeTool = tool(
  ({ timeZone }) => {
    const zone = timeZone ?? 'UTC';
    // Intl throws a RangeError for an unknown zone: a tool error the model can read.
    const formatted = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      dateStyle: 'full',
      timeStyle: 'long',
    }).format(new Date());
    return formatted;
  },
  {
    name: 'current_time',
    description:
      'Returns the current date and time. Optionally in an IANA time zone such as "Europe/Paris".',
    schema: z.object({
      timeZone: z.string().max(64).optional().describe('An IANA time zone; UTC when absent.'),
    }),
  },
);
