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
  ValidateNested,
} from 'class-validator';
import type { DisconnectPolicy } from '../../chat/chat-request';
import { MODEL_NAME_PATTERN } from '../../chat/dto/chat-request.dto';
import { REQUEST_ID_MESSAGE, REQUEST_ID_PATTERN } from '../../chat/request-id';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { PIPELINE_NAME_PATTERN } from '../../pipelines/pipeline-registry';
import { UiMessageDto } from './ui-message.dto';

/**
 * The body `DefaultChatTransport` sends (`{id, messages, trigger, messageId}`), plus the fields
 * of this service a transport may add with its `body` option.
 */
export class UiChatRequestDto {
  /** The chat's id: what resume and stop are addressed by. */
  @IsString()
  @Matches(REQUEST_ID_PATTERN, { message: `id ${REQUEST_ID_MESSAGE}` })
  id!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsObject({ each: true, message: 'each message must be an object' })
  @ValidateNested({ each: true })
  @Type(() => UiMessageDto)
  messages!: UiMessageDto[];

  @IsOptionalNotNull()
  @IsIn(['submit-message', 'regenerate-message'])
  trigger?: 'submit-message' | 'regenerate-message';

  @IsOptionalNotNull()
  @IsString()
  @MaxLength(256)
  messageId?: string;

  @IsOptionalNotNull()
  @IsString()
  @Matches(PIPELINE_NAME_PATTERN, { message: 'pipeline must be a pipeline name such as chat' })
  pipeline?: string;

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
}
