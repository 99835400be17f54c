import type { Agent } from 'node:http';
import type { FakeOpenAIServer } from '../support/fake-openai-server';
import type { FuzzCase } from './fuzz-case';
import type { FuzzStats } from './fuzz-stats';
import { judgeAnswer, streamUrlOf } from './judge-answer';
import { type FuzzAnswer, sendFuzzRequest } from './send-fuzz-request';

export function describeCase(fuzzCase: FuzzCase): string {
  const body = fuzzCase.body?.toString('utf8').slice(0, 200);
  return `[${fuzzCase.label}] ${fuzzCase.method} ${fuzzCase.path.slice(0, 200)} headers=${JSON.stringify(fuzzCase.headers).slice(0, 300)}${body === undefined ? '' : ` body=${JSON.stringify(body)}`}`;
}

export interface FuzzRunnerOptions {
  port: number;
  agent: Agent;
  upstream: FakeOpenAIServer;
  stats: FuzzStats;
  /** The valid key's header, when the app has keys: for following a detached stream. */
  authHeaders: Record<string, string>;
  timeoutMs: number;
}

/**
 * Sends generated cases one at a time and checks the property for each: the answer its view
 * owes it (judgeAnswer), and upstream calls only for valid input, at most as many as allowed.
 */
export class FuzzRunner {
  private previous: { fuzzCase: FuzzCase; status: number; connection?: string } | undefined;

  constructor(private readonly options: FuzzRunnerOptions) {}

  send(fuzzCase: FuzzCase): Promise<FuzzAnswer> {
    const { port, agent, timeoutMs } = this.options;
    return sendFuzzRequest({ port, agent, fuzzCase, timeoutMs });
  }

  /** Throws, naming the case and what was wrong, when the property does not hold. */
  readonly check = async (fuzzCase: FuzzCase): Promise<void> => {
    const { stats, upstream } = this.options;
    stats.started(fuzzCase);
    const callsBefore = upstream.requests.length;
    const answer = await this.answerTo(fuzzCase);
    const judgement = judgeAnswer(fuzzCase, answer);
    stats.record(fuzzCase, judgement);
    let problem = judgement.problem;
    if (!problem && judgement.outcome === 'accepted') problem = await this.follow(fuzzCase, answer);
    const calls = upstream.requests.length - callsBefore;
    const valid = judgement.outcome === 'stream' || judgement.outcome === 'accepted';
    if (valid) stats.upstreamCallsOnValidInput += calls;
    else stats.upstreamCallsOnBadInput += calls;
    if (!problem && !valid && calls > 0)
      problem = `${calls} upstream call(s) for a ${answer.status}`;
    const allowed = fuzzCase.upstreamCallsAllowed ?? 1;
    if (!problem && calls > allowed) {
      problem = `${calls} upstream call(s), at most ${allowed} expected`;
    }
    if (problem) {
      stats.failures++;
      throw new Error(`${describeCase(fuzzCase)} -> ${answer.status}: ${problem}`);
    }
  };

  private async answerTo(fuzzCase: FuzzCase): Promise<FuzzAnswer> {
    try {
      const answer = await this.send(fuzzCase);
      this.previous = { fuzzCase, status: answer.status, connection: answer.headers.connection };
      return answer;
    } catch (error: unknown) {
      this.options.stats.crashes++;
      this.options.stats.failures++;
      const { previous } = this;
      const after = previous
        ? `, after ${describeCase(previous.fuzzCase)} -> ${previous.status} (connection: ${previous.connection})`
        : '';
      throw new Error(`${describeCase(fuzzCase)} -> no answer: ${String(error)}${after}`);
    }
  }

  /** Reads the detached stream an accepted case started to its end, as its view's client would. */
  private async follow(fuzzCase: FuzzCase, answer: FuzzAnswer): Promise<string | undefined> {
    const path = fuzzCase.followPath ?? streamUrlOf(answer);
    if (!path) return `${answer.status} names no stream to follow`;
    const follow: FuzzCase = {
      label: 'follow',
      view: fuzzCase.view,
      method: 'GET',
      path,
      headers: this.options.authHeaders,
      validity: 'maybe-valid',
    };
    const followed = await this.send(follow);
    const judgement = judgeAnswer(follow, followed);
    if (judgement.outcome !== 'stream') return `following ${path} answered ${followed.status}`;
    return judgement.problem;
  }
}
