import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { IsPromptText } from '../../common/is-prompt-text';
import type { DisconnectPolicy } from '../chat-request';
import { PIPELINE_NAME_PATTERN } from '../../pipelines/pipeline-registry';
import { ChatMessageDto } from './chat-message.dto';

/** A model name: letters, digits and the punctuation providers use (`gpt-4o`, `llama3.2:8b`, `org/model`). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;

/**
 * Body of `POST /api/chat/stream` and `POST /api/chat/streams`. Limits that depend on the
 * configuration (lengths, maxTokens ceiling, allowed models) are checked by `toChatRequest`.
 * Optional fields may be absent, never `null`.
 */
export class ChatRequestDto {
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

  @IsOptionalNotNull()
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name such as gpt-4o-mini' })
  model?: string;

  @IsOptionalNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  maxTokens?: number;

  @IsOptionalNotNull()
  @IsIn(['cancel', 'continue'])
  onDisconnect?: DisconnectPolicy;

  /** Which pipeline answers (`GET /api/pipelines`); `chat` when absent. */
  @IsOptionalNotNull()
  @IsString()
  @Matches(PIPELINE_NAME_PATTERN, { message: 'pipeline must be a pipeline name such as chat' })
  pipeline?: string;
}
