import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module';
import { HtmxController } from './htmx.controller';

@Module({ imports: [ChatModule], controllers: [HtmxController] })
export class HtmxModule {}
