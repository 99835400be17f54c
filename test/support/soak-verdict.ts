import type { RecordedRequest } from './fake-openai-server';
import { seenAt, timeline, type ClientView } from './soak-client';
import { surelyRunningUntil, type StreamPlan } from './soak-plan';
import { dataOf, endReason, tokenText, type ReceivedEvent, type StreamResult } from './sse-client';
import { settles } from './upstream-index';

/** How one stream ended, for the figures. */
export type SoakOutcome =
  | 'completed'
  | 'hung up before the app saw it'
  | 'hung up, cancelled'
  | 'hung up after the end'
  | 'deleted'
  | 'DELETE after the end (409)'
  | 'DELETE crossed the end (202, stop)';

/** What became of the stream's upstream request. */
export type UpstreamFate = 'never called' | 'finished' | 'aborted' | 'left open';

export interface StreamVerdict {
  outcome: SoakOutcome;
  upstream: UpstreamFate;
  problems: string[];
  /** ms to the upstream socket closing: after the hang-up, or after the DELETE's 202. */
  abortLatencyMs?: number;
}

export interface JudgeInput {
  plan: StreamPlan;
  view: ClientView;
  /** The stream read back from its log from the start, after the client was done. */
  log: StreamResult;
  upstream: RecordedRequest[];
  /** Bound for the upstream socket to close after a hang-up or DELETE. */
  abortBoundMs: number;
}

/** Tokens the upstream may have sent that the app had not read yet when it stopped reading. */
const IN_FLIGHT_TOKENS = 3;

const shape = (events: ReceivedEvent[]): string =>
  JSON.stringify(events.map(({ id, event, data }) => [id, event, data]));

type Judged = Omit<StreamVerdict, 'upstream'>;

interface Judging {
  input: JudgeInput;
  record: RecordedRequest | undefined;
  reason: string | undefined;
  problems: string[];
  say(problem: string): void;
}

/** Judges one stream by what its client saw, what its log says and what the upstream saw. */
export async function judgeStream(input: JudgeInput): Promise<StreamVerdict> {
  const { plan, view, log, upstream } = input;
  const record = upstream[0];
  const problems: string[] = [];
  const say = (problem: string): void =>
    void problems.push(`${plan.requestId}: ${problem} ${timeline(view, record)}`);
  if (view.failure) say(view.failure);
  if (upstream.length > 1) say(`${upstream.length} upstream calls for one stream`);
  let judged: Judged;
  if (log.status === 404) {
    // Only a client that left before the app had its request leaves no stream behind.
    if (view.hungUpAt === undefined || view.events.length > 0 || record) {
      say('the log has no stream although the app served it');
    }
    judged = { outcome: 'hung up before the app saw it', problems };
  } else {
    checkLog(log, view, say);
    const judging: Judging = { input, record, reason: endReason(log), problems, say };
    judged = await judgeByAction(judging);
  }
  const fate: UpstreamFate = !record
    ? 'never called'
    : record.abortedAt !== undefined
      ? 'aborted'
      : record.finished
        ? 'finished'
        : 'left open';
  return { ...judged, upstream: fate };
}

function judgeByAction(judging: Judging): Promise<Judged> | Judged {
  const { input, reason, say, problems } = judging;
  const { plan, view } = input;
  const { action } = plan;
  if (action.kind === 'complete' || (action.kind === 'hangup' && view.hungUpAt === undefined)) {
    if (reason !== 'stop') say(`end ${reason} for a stream read to its end`);
    if (view.raw !== input.log.raw) say('the client got other bytes than the log replays');
    expectComplete(judging);
    return { outcome: 'completed', problems };
  }
  if (action.kind === 'delete') return judgeDelete(judging);
  const hungUpAt = view.hungUpAt ?? 0;
  if (reason === 'stop') {
    // The app notices a hang-up within a loop turn or two; the upstream sleeps once a turn at
    // most, so with a few sleeps still ahead of it, it cannot have finished first.
    if (judging.record && hungUpAt < surelyRunningUntil(plan.scenario, judging.record.receivedAt)) {
      say('ran to the end after an early hang-up');
    }
    expectComplete(judging);
    return { outcome: 'hung up after the end', problems };
  }
  if (reason !== 'cancelled') say(`end ${reason} after a hang-up`);
  return expectUpstreamClosed(judging, hungUpAt).then((abortLatencyMs) => ({
    outcome: 'hung up, cancelled' as const,
    problems,
    abortLatencyMs,
  }));
}

function judgeDelete(judging: Judging): Promise<Judged> | Judged {
  const { input, reason, say, problems } = judging;
  const { view } = input;
  if (view.raw !== input.log.raw) say('the client got other bytes than the log replays');
  if (view.deleteStatus === 409 || (view.deleteStatus === 202 && reason === 'stop')) {
    if (reason !== 'stop') say(`DELETE ${view.deleteStatus} but end ${reason}`);
    expectComplete(judging);
    if (view.deleteStatus === 409) return { outcome: 'DELETE after the end (409)', problems };
    // A DELETE sent after the client had `end: stop` must get 409 (the contract).
    if (view.deleteAfterEnd) say('a DELETE sent after the end answered 202');
    return { outcome: 'DELETE crossed the end (202, stop)', problems };
  }
  if (view.deleteStatus !== 202) say(`DELETE answered ${view.deleteStatus}`);
  if (reason !== 'cancelled') say(`end ${reason} after DELETE 202`);
  // The app aborts before it answers 202: the `end` and the upstream close follow at once. (The
  // DELETE itself may wait in a busy machine's accept queue; that is not the app's doing.)
  const answeredAt = view.deleteAnsweredAt ?? 0;
  const end = view.events.find((event) => event.event === 'end');
  if (end && seenAt(view, end) - answeredAt > input.abortBoundMs) {
    say(`end: cancelled came ${Math.round(seenAt(view, end) - answeredAt)} ms after the 202`);
  }
  return expectUpstreamClosed(judging, answeredAt).then((abortLatencyMs) => ({
    outcome: 'deleted' as const,
    problems,
    abortLatencyMs,
  }));
}

/** `end: stop` with every token, and an upstream request that finished, not aborted. */
function expectComplete({ input, record, say }: Judging): void {
  if (tokenText(input.log) !== input.plan.scenario.tokens.join('')) {
    say('tokens missing after end: stop');
  }
  if (!record?.finished || record.abortedAt) say('upstream not finished after end: stop');
}

/**
 * A cancelled stream's upstream socket closes. It may have finished first only if the app had
 * nearly all of it: the app drains what reached it every loop turn, so when it stops reading at
 * most a token or two is in flight; a finish with more missing means the upstream kept
 * streaming (and being paid for) after the app gave up on it. Returns ms from `from` to the close.
 */
async function expectUpstreamClosed(judging: Judging, from: number): Promise<number | undefined> {
  const { input, record, say } = judging;
  if (!record) return undefined; // cancelled before the model was called
  if (!(await settles(record, input.abortBoundMs))) say('upstream request left open');
  if (record.abortedAt === undefined) {
    const relayed = dataOf(input.log, undefined).length;
    const { length } = input.plan.scenario.tokens;
    if (relayed < length - IN_FLIGHT_TOKENS) {
      say(`upstream ran to its end after the cancel; the app relayed ${relayed}/${length}`);
    }
    return undefined;
  }
  const latency = record.abortedAt - Math.max(from, record.receivedAt);
  if (latency > input.abortBoundMs) say(`upstream closed ${latency} ms after the cancel`);
  return latency;
}

/** The log is whole (ids 0..n, one `end`, then [DONE]) and the client saw a prefix of it. */
function checkLog(log: StreamResult, view: ClientView, say: (problem: string) => void): void {
  if (log.status !== 200) say(`attach answered ${log.status}`);
  const ids = log.events.filter((event) => event.id !== undefined).map((event) => event.id);
  if (ids.some((id, index) => id !== String(index))) say(`log ids not contiguous: ${ids.join()}`);
  const ends = log.events.filter((event) => event.event === 'end').length;
  if (ends !== 1 || log.events.at(-1)?.data !== '[DONE]') {
    say('log does not end with one end + [DONE]');
  }
  if (shape(view.events) !== shape(log.events.slice(0, view.events.length))) {
    say(`the client saw other events than the log has: ${shape(view.events).slice(0, 300)}`);
  }
}
