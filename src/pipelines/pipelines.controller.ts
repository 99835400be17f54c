import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { PipelineRegistry } from './pipeline-registry';

/** `GET /api/pipelines`: what a request may select with `"pipeline"`. */
@Controller('pipelines')
@UseGuards(ApiKeyGuard)
export class PipelinesController {
  constructor(private readonly pipelines: PipelineRegistry) {}

  @Get()
  list(): { pipelines: { name: string; description: string }[] } {
    return { pipelines: this.pipelines.list() };
  }
}
