import { Module } from '@nestjs/common';
import { AbortService } from '../abort/abort.service';
import { StreamStartRateLimit } from '../limits/stream-start-rate-limit';
import { StreamAdmission } from '../lifecycle/stream-admission';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { MetricsController } from '../metrics/metrics.controller';
import { StreamMetrics } from '../metrics/stream-metrics';
import { PipelineRegistry } from '../pipelines/pipeline-registry';
import { PipelineStreams } from '../pipelines/pipeline-streams';
import { PipelinesController } from '../pipelines/pipelines.controller';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { StreamFollower } from './stream-follower';
import { StreamRunner } from './stream-runner';
import { StreamStarter } from './stream-starter';
import { VisibleStreams } from './visible-streams';
import { StreamsController } from './streams.controller';

@Module({
  controllers: [ChatController, StreamsController, MetricsController, PipelinesController],
  providers: [
    ChatService,
    ChatModelRegistry,
    AbortService,
    StreamRunner,
    StreamAdmission,
    StreamMetrics,
    StreamStartRateLimit,
    StreamStarter,
    StreamFollower,
    VisibleStreams,
    PipelineRegistry,
    PipelineStreams,
  ],
  // What the other wire views (ui-chat/, openai/, htmx/) build on: one generation path for all.
  exports: [
    AbortService,
    StreamStarter,
    StreamRunner,
    StreamFollower,
    VisibleStreams,
    PipelineRegistry,
  ],
})
export class ChatModule {}
