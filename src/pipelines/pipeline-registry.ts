import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { Pipeline } from './pipeline';

/** DI token of the pipeline list: `PIPELINES`, plus any given to `createApp`. */
export const PIPELINE_LIST = Symbol('PIPELINE_LIST');

export const PIPELINE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** Finds pipelines by name. */
@Injectable()
export class PipelineRegistry {
  private readonly byName = new Map<string, Pipeline>();

  constructor(@Inject(PIPELINE_LIST) pipelines: readonly Pipeline[]) {
    for (const pipeline of pipelines) {
      if (!PIPELINE_NAME_PATTERN.test(pipeline.name)) {
        throw new Error(
          `pipeline name "${pipeline.name}" must match ${String(PIPELINE_NAME_PATTERN)}`,
        );
      }
      if (this.byName.has(pipeline.name)) {
        throw new Error(`two pipelines are named "${pipeline.name}"`);
      }
      this.byName.set(pipeline.name, pipeline);
    }
  }

  list(): { name: string; description: string }[] {
    return [...this.byName.values()].map(({ name, description }) => ({ name, description }));
  }

  /** The pipeline, or a 400 naming the ones there are. */
  require(name: string): Pipeline {
    const pipeline = this.byName.get(name);
    if (pipeline) return pipeline;
    throw new BadRequestException(
      `pipeline must be one of: ${[...this.byName.keys()].join(', ')}.`,
    );
  }
}
