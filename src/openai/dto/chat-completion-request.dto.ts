import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { OpenAIMessageDto } from './openai-message.dto';
import { IsModelName, IsPipelineName } from '../../chat/dto/generation-options.dto';

export class StreamOptionsDto {
  @IsOptionalNotNull()
  @IsBoolean()
  include_usage?: boolean;
}

/**
 * `POST /v1/chat/completions`: the parameters of OpenAI's API this gateway honours. Any other
 * parameter is a 400 rather than silently ignored (OpenAI does the same), except `user`.
 */
export class ChatCompletionRequestDto {
  @IsModelName()
  model!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsObject({ each: true, message: 'each message must be an object with role and content' })
  @ValidateNested({ each: true })
  @Type(() => OpenAIMessageDto)
  messages!: OpenAIMessageDto[];

  @IsOptionalNotNull()
  @IsBoolean()
  stream?: boolean;

  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => StreamOptionsDto)
  stream_options?: StreamOptionsDto;

  @IsOptionalNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  max_tokens?: number;

  @IsOptionalNotNull()
  @IsInt()
  @Min(1)
  max_completion_tokens?: number;

  /** One completion per request: several would be several paid generations. */
  @IsOptionalNotNull()
  @IsIn([1], { message: 'n must be 1' })
  n?: number;

  /** Accepted for compatibility; not used. */
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(256)
  user?: string;

  /** This gateway's extension: which pipeline answers (`GET /api/pipelines`); `chat` when absent. */
  @IsOptionalNotNull()
  @IsPipelineName()
  pipeline?: string;
}
