import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { OpenAIController } from './openai.controller';

@Module({ imports: [ChatModule], controllers: [OpenAIController] })
export class OpenAIModule {}
