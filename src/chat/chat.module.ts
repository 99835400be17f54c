import { Module } from '@nestjs/common';
import { AbortService } from '../abort/abort.service';
import { ChatModelRegistry } from '../llm/chat-model-registry';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

@Module({
  controllers: [ChatController],
  providers: [ChatService, ChatModelRegistry, AbortService],
  exports: [AbortService],
})
export class ChatModule {}
