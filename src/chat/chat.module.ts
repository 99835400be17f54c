import { Module } from '@nestjs/common';
import { AbortService } from '../abort/abort.service';
import { StreamAdmission } from '../lifecycle/stream-admission';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { MetricsController } from '../metrics/metrics.controller';
import { StreamMetrics } from '../metrics/stream-metrics';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { StreamRunner } from './stream-runner';
import { StreamsController } from './streams.controller';

@Module({
  controllers: [ChatController, StreamsController, MetricsController],
  providers: [
    ChatService,
    ChatModelRegistry,
    AbortService,
    StreamRunner,
    StreamAdmission,
    StreamMetrics,
  ],
  exports: [AbortService],
})
export class ChatModule {}
