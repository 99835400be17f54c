import { readStream, type ReceivedEvent, type StreamResult } from './sse-client';
import type { StreamPlan } from './soak-plan';

/** What the client of one planned stream did and saw. Times are epoch ms (the fake's clock). */
export interface ClientView {
  sentAt: number;
  /** POST status when the response was read to its end; undefined after a hang-up. */
  status?: number;
  events: ReceivedEvent[];
  /** The whole response text, when it was read to its end. */
  raw?: string;
  /** When the client hung up (it had not seen the whole response by then). */
  hungUpAt?: number;
  deleteSentAt?: number;
  deleteStatus?: number;
  deleteAnsweredAt?: number;
  /** When the DELETE was sent relative to the client seeing `end`: before it, or after. */
  deleteAfterEnd?: boolean;
  /** An error a well-behaved client would not get, e.g. a reset before its hang-up. */
  failure?: string;
}

/** Epoch ms at which the client saw `event`. */
export const seenAt = (view: ClientView, event: ReceivedEvent): number => view.sentAt + event.at;

/** POSTs one planned stream and plays the plan's client: read all, hang up, or DELETE. */
export async function playClient(baseUrl: string, plan: StreamPlan): Promise<ClientView> {
  const view: ClientView = { sentAt: Date.now(), events: [] };
  const { action } = plan;
  const controller = new AbortController();
  let hangUp: NodeJS.Timeout | undefined;
  let deleting: Promise<void> | undefined;
  if (action.kind === 'hangup') {
    hangUp = setTimeout(() => {
      view.hungUpAt = Date.now();
      controller.abort();
    }, action.afterMs);
  }
  const sendDelete = (): void => {
    view.deleteSentAt = Date.now();
    view.deleteAfterEnd = view.events.some((event) => event.event === 'end');
    deleting = fetch(`${baseUrl}/api/chat/streams/${plan.requestId}`, { method: 'DELETE' }).then(
      async (response) => {
        view.deleteStatus = response.status;
        view.deleteAnsweredAt = Date.now();
        await response.arrayBuffer();
      },
    );
  };
  try {
    const result: StreamResult = await readStream(`${baseUrl}/api/chat/stream`, {
      body: { query: plan.scenario.prompt, system: plan.requestId },
      headers: { 'x-request-id': plan.requestId },
      signal: controller.signal,
      onEvent: (event) => {
        view.events.push(event);
        // The id is known to exist once `start` arrived; the DELETE is timed from there.
        if (action.kind === 'delete' && event.id === '0') setTimeout(sendDelete, action.afterMs);
      },
    });
    view.status = result.status;
    view.raw = result.raw;
  } catch (error: unknown) {
    if (view.hungUpAt === undefined) view.failure = `client error: ${String(error)}`;
  } finally {
    clearTimeout(hangUp);
  }
  // A stream that ended before its DELETE was due still gets it (that is the 409 case).
  const started = view.events.some((event) => event.id === '0');
  while (action.kind === 'delete' && started && !deleting) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await deleting;
  return view;
}

/** The stream as its log has it, read afterwards from the start: status and events. */
export async function attachAfterwards(baseUrl: string, requestId: string): Promise<StreamResult> {
  return readStream(`${baseUrl}/api/chat/streams/${requestId}`, { method: 'GET' });
}

/** The moments of one stream, ms after its POST, for a problem report. */
export function timeline(
  view: ClientView,
  upstream?: { receivedAt: number; abortedAt?: number },
): string {
  const since = (at: number | undefined): string =>
    at === undefined ? '-' : String(Math.round(at - view.sentAt));
  const start = view.events.find((event) => event.id === '0');
  const end = view.events.find((event) => event.event === 'end');
  return (
    `[start ${start ? Math.round(start.at) : '-'}, hang-up ${since(view.hungUpAt)}, ` +
    `DELETE ${since(view.deleteSentAt)}..${since(view.deleteAnsweredAt)} (${view.deleteStatus ?? '-'}), ` +
    `end ${end ? Math.round(end.at) : '-'}, upstream ${since(upstream?.receivedAt)}..${since(upstream?.abortedAt)}]`
  );
}
