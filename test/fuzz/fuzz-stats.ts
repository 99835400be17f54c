import type { FuzzCase } from './fuzz-case';
import type { Judgement } from './judge-answer';

/** The routes the summary counts by, matched on the path as sent (first match wins). */
const ROUTES: [name: string, path: RegExp][] = [
  ['POST /api/chat/stream', /^\/api\/chat\/stream(\?|$)/],
  ['GET /api/chat/stream', /^\/api\/chat\/stream\?/],
  ['/api/chat/streams', /^\/api\/chat\/streams\/?(\?|$)/],
  ['/api/chat/streams/{id}', /^\/api\/chat\/streams\//],
  ['/v1/chat/completions', /^\/v1\/chat\/completions(\?|$)/],
  ['/V1 (other case)', /^\/V1\//],
  ['/v1 other paths', /^\/v1\//],
  ['POST /api/ui/chat', /^\/api\/ui\/chat\/?(\?|$)/],
  ['/api/ui/chat/{id}/stream', /^\/api\/ui\/chat\/[^/]*\/stream/],
  ['/api/ui/chat/{id}/stop', /^\/api\/ui\/chat\/[^/]*\/stop/],
  ['/htmx/chat', /^\/htmx\/chat/],
  ['/htmx/v2/chat', /^\/htmx\/v2\/chat/],
  ['/htmx/stop', /^\/htmx\/stop/],
  ['/htmx/streams/{id}', /^\/htmx\/streams\//],
];

function routeOf(fuzzCase: FuzzCase): string {
  const found = ROUTES.find(([name, path]) => {
    if (!path.test(fuzzCase.path)) return false;
    // The stream route takes both methods: count them apart.
    if (name === 'POST /api/chat/stream') return fuzzCase.method !== 'GET';
    return true;
  });
  return found?.[0] ?? 'other routes';
}

interface RouteCounts {
  cases: number;
  refused: number;
  valid: number;
  serverErrors: number;
}

/** Running totals of one fuzz configuration, for the summary lines. */
export class FuzzStats {
  cases = 0;
  invalidCases = 0;
  refused = 0;
  streams = 0;
  /** 204s and htmx's bare `end`: nothing to resume or follow. */
  nothing = 0;
  serverErrors = 0;
  /** Transport errors, timeouts, or a dead health check. */
  crashes = 0;
  upstreamCallsOnBadInput = 0;
  upstreamCallsOnValidInput = 0;
  failures = 0;
  private readonly routes = new Map<string, RouteCounts>();

  started(fuzzCase: FuzzCase): void {
    this.cases++;
    if (fuzzCase.validity === 'invalid') this.invalidCases++;
    this.countsOf(fuzzCase).cases++;
  }

  record(fuzzCase: FuzzCase, judgement: Judgement): void {
    const counts = this.countsOf(fuzzCase);
    if (judgement.outcome === 'refused') {
      this.refused++;
      counts.refused++;
    }
    if (judgement.outcome === 'stream' || judgement.outcome === 'accepted') {
      this.streams++;
      counts.valid++;
    }
    if (judgement.outcome === 'no-content') this.nothing++;
    if (judgement.outcome === 'server-error') {
      this.serverErrors++;
      counts.serverErrors++;
    }
  }

  summary(name: string, seed: number): string {
    const total =
      `fuzz [${name}] FUZZ_SEED=${seed}: ${this.cases} cases (${this.invalidCases} invalid by ` +
      `construction), ${this.refused} refused with 4xx, ${this.streams} valid streams, ` +
      `${this.nothing} with nothing to follow (204 / bare end), ` +
      `${this.serverErrors} 5xx, ${this.crashes} crashes, ${this.upstreamCallsOnBadInput} upstream ` +
      `calls for bad input (${this.upstreamCallsOnValidInput} for valid input), ` +
      `${this.failures} property failures (incl. shrinking)`;
    const lines = [...this.routes.entries()].map(
      ([route, counts]) =>
        `  ${route}: ${counts.cases} cases, ${counts.refused} 4xx, ${counts.valid} valid, ` +
        `${counts.serverErrors} 5xx`,
    );
    return [total, ...lines].join('\n');
  }

  private countsOf(fuzzCase: FuzzCase): RouteCounts {
    const route = routeOf(fuzzCase);
    let counts = this.routes.get(route);
    if (!counts) {
      counts = { cases: 0, refused: 0, valid: 0, serverErrors: 0 };
      this.routes.set(route, counts);
    }
    return counts;
  }
}
