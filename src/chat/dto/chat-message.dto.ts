import { IsIn, IsString } from 'class-validator';
import type { ChatRole } from '../chat-request';

export class ChatMessageDto {
  @IsIn(['system', 'user', 'assistant'])
  role!: ChatRole;

  @IsString()
  content!: string;
}
