import { IsIn } from 'class-validator';
import { IsPromptText } from '../../common/is-prompt-text';
import type { ChatRole } from '../chat-request';

export class ChatMessageDto {
  @IsIn(['system', 'user', 'assistant'])
  role!: ChatRole;

  @IsPromptText()
  content!: string;
}
