import { tool, type ToolRunnableConfig } from '@langchain/core/tools';
import { createAgent } from 'langchain';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Pipeline } from '../../src/pipelines/pipeline';

export const SLOW_TOOL_NAME = 'slow_lookup';

/** What one run of the slow tool went through, in `Date.now()` ms. */
export interface SlowToolRun {
  query: string;
  startedAt: number;
  /** When the tool saw its `config.signal` abort. */
  abortedAt?: number;
  /** When it returned its result (it did not see an abort first). */
  finishedAt?: number;
}

/**
 * Records every run of the slow tool, so a test can tell whether a cancel reached it (its
 * signal aborted) and whether it ran to the end.
 */
export class SlowToolProbe {
  readonly runs: SlowToolRun[] = [];
  private readonly waiters: (() => void)[] = [];

  /** Resolves with the run for `query` once it has started. */
  async started(query: string): Promise<SlowToolRun> {
    for (;;) {
      const run = this.runs.find((candidate) => candidate.query === query);
      if (run) return run;
      await new Promise<void>((wake) => this.waiters.push(wake));
    }
  }

  record(run: SlowToolRun): void {
    this.runs.push(run);
    for (const wake of this.waiters.splice(0)) wake();
  }
}

export interface SlowToolPipelineOptions {
  name: string;
  /** How long one tool run takes unless aborted. */
  toolDelayMs: number;
  probe: SlowToolProbe;
}

/**
 * A `createAgent` pipeline on the configured chat model with one slow tool that honours the
 * signal LangChain hands it in its config, as a well-behaved tool doing I/O would.
 */
export function slowToolPipeline(options: SlowToolPipelineOptions): Pipeline {
  const slowLookup = tool(
    async ({ query }: { query: string }, config?: ToolRunnableConfig) => {
      const run: SlowToolRun = { query, startedAt: Date.now() };
      options.probe.record(run);
      try {
        // The signal LangChain hands the tool: a cancelled stream must stop it here.
        await sleep(options.toolDelayMs, undefined, { signal: config?.signal });
      } catch (error: unknown) {
        run.abortedAt = Date.now();
        throw error;
      }
      run.finishedAt = Date.now();
      return `found ${query}`;
    },
    {
      name: SLOW_TOOL_NAME,
      description: 'Looks something up, slowly.',
      schema: z.object({ query: z.string() }),
    },
  );
  return {
    name: options.name,
    description: 'An agent with one slow tool (tests only).',
    create: (_request, context) =>
      createAgent({ model: context.chatModel(), tools: [slowLookup] }).graph,
  };
}
