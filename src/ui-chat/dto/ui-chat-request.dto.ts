import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { REQUEST_ID_MESSAGE, REQUEST_ID_PATTERN } from '../../chat/request-id';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { UiMessageDto } from './ui-message.dto';
import { GenerationOptionsDto } from '../../chat/dto/generation-options.dto';

/**
 * The body `DefaultChatTransport` sends (`{id, messages, trigger, messageId}`), plus the fields
 * of this service a transport may add with its `body` option.
 */
export class UiChatRequestDto extends GenerationOptionsDto {
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
}
