import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsObject,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { IsPromptText } from '../../common/is-prompt-text';
import { ChatMessageDto } from './chat-message.dto';
import { GenerationOptionsDto } from './generation-options.dto';

/**
 * Body of `POST /api/chat/stream` and `POST /api/chat/streams`. Limits that depend on the
 * configuration (lengths, maxTokens ceiling, allowed models) are checked by `toChatRequest`.
 * Optional fields may be absent, never `null`.
 */
export class ChatRequestDto extends GenerationOptionsDto {
  @ValidateIf((dto: ChatRequestDto) => dto.query !== undefined)
  @IsPromptText()
  @MinLength(1)
  query?: string;

  @ValidateIf((dto: ChatRequestDto) => dto.messages !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  // Without this, `[[]]` passes the nested validation and crashes `toChatRequest` (500).
  @IsObject({ each: true, message: 'each message must be an object with role and content' })
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages?: ChatMessageDto[];

  @IsOptionalNotNull()
  @IsPromptText({ allowBlank: true })
  @MaxLength(8000)
  system?: string;
}
