import type { Judgement } from './judge-answer';

/** Running totals of one fuzz configuration, for the summary line. */
export class FuzzStats {
  cases = 0;
  invalidCases = 0;
  refused = 0;
  streams = 0;
  serverErrors = 0;
  /** Transport errors, timeouts, or a dead health check. */
  crashes = 0;
  upstreamCallsOnBadInput = 0;
  upstreamCallsOnValidInput = 0;
  failures = 0;

  record(judgement: Judgement): void {
    if (judgement.outcome === 'refused') this.refused++;
    if (judgement.outcome === 'stream' || judgement.outcome === 'accepted') this.streams++;
    if (judgement.outcome === 'server-error') this.serverErrors++;
  }

  summary(name: string, seed: number): string {
    return (
      `fuzz [${name}] FUZZ_SEED=${seed}: ${this.cases} cases (${this.invalidCases} invalid by ` +
      `construction), ${this.refused} refused with 4xx, ${this.streams} valid streams, ` +
      `${this.serverErrors} 5xx, ${this.crashes} crashes, ${this.upstreamCallsOnBadInput} upstream ` +
      `calls for bad input (${this.upstreamCallsOnValidInput} for valid input), ` +
      `${this.failures} property failures (incl. shrinking)`
    );
  }
}
