import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { UiChatController } from './ui-chat.controller';

@Module({ imports: [ChatModule], controllers: [UiChatController] })
export class UiChatModule {}
