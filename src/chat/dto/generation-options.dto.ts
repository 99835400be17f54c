import { applyDecorators } from '@nestjs/common';
import { IsIn, IsInt, IsNumber, IsString, Matches, Max, Min } from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { PIPELINE_NAME_PATTERN } from '../../pipelines/pipeline-registry';
import type { DisconnectPolicy } from '../chat-request';

/** A model name: letters, digits and the punctuation providers use (`gpt-4o`, `llama3.2:8b`, `org/model`). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;

/** A model name (the allowed list is checked later, by `toChatRequest`). */
export function IsModelName(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Matches(MODEL_NAME_PATTERN, { message: 'model must be a model name such as gpt-4o-mini' }),
  );
}

/** A pipeline name (whether it exists is checked before anything starts). */
export function IsPipelineName(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Matches(PIPELINE_NAME_PATTERN, { message: 'pipeline must be a pipeline name such as chat' }),
  );
}

/**
 * How to generate, in the JSON bodies that use this service's own names (native and AI SDK
 * routes). Optional fields may be absent, never `null`.
 */
export class GenerationOptionsDto {
  @IsOptionalNotNull()
  @IsModelName()
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
  @IsPipelineName()
  pipeline?: string;
}
