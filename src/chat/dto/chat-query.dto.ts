import { Type } from 'class-transformer';
import {
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { MODEL_NAME_PATTERN } from './chat-request.dto';

/** Query string of `GET /api/chat/stream`, for EventSource clients that can only GET. */
export class ChatQueryDto {
  @IsString()
  @MinLength(1)
  query!: string;

  @IsOptional()
  @IsString()
  @MaxLength(8000)
  system?: string;

  @IsOptional()
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name such as gpt-4o-mini' })
  model?: string;

  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  maxTokens?: number;

  /** Names the stream, for EventSource clients that cannot set X-Request-Id. */
  @IsOptional()
  @IsString()
  requestId?: string;

  /** Where a reconnecting client left off, for clients that cannot send Last-Event-ID. */
  @IsOptional()
  @IsString()
  lastEventId?: string;
}
