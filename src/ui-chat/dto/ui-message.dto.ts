import { ArrayMaxSize, IsArray, IsIn, IsObject, IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';

/** A UIMessage of the AI SDK (`{id, role, parts, metadata?}`); parts are checked by role later. */
export class UiMessageDto {
  @IsString()
  @MaxLength(256)
  id!: string;

  @IsIn(['system', 'user', 'assistant'])
  role!: 'system' | 'user' | 'assistant';

  @IsArray()
  @ArrayMaxSize(200)
  @IsObject({ each: true, message: 'each part must be an object with a type' })
  parts!: Record<string, unknown>[];

  @IsOptionalNotNull()
  @IsObject()
  metadata?: Record<string, unknown>;
}
