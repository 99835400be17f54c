import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { DisconnectPolicy } from '../chat-request';
import { ChatMessageDto } from './chat-message.dto';

/** A model name: letters, digits and the punctuation providers use (`gpt-4o`, `llama3.2:8b`, `org/model`). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;

/**
 * Body of `POST /api/chat/stream` and `POST /api/chat/streams`. Limits that depend on the
 * configuration (lengths, maxTokens ceiling, allowed models) are checked by `toChatRequest`.
 */
export class ChatRequestDto {
  @ValidateIf((dto: ChatRequestDto) => dto.query !== undefined)
  @IsString()
  @MinLength(1)
  query?: string;

  @ValidateIf((dto: ChatRequestDto) => dto.messages !== undefined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages?: ChatMessageDto[];

  @IsOptional()
  @IsString()
  @MaxLength(8000)
  system?: string;

  @IsOptional()
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name such as gpt-4o-mini' })
  model?: string;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  maxTokens?: number;

  @IsOptional()
  @IsIn(['cancel', 'continue'])
  onDisconnect?: DisconnectPolicy;
}
