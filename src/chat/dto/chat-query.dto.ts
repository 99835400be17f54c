import { IsIn, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { IsPromptText } from '../../common/is-prompt-text';
import type { DisconnectPolicy } from '../chat-request';
import { EVENT_ID_PATTERN } from '../last-event-id';
import { REQUEST_ID_MESSAGE, REQUEST_ID_PATTERN } from '../request-id';
import { DECIMAL_PARAM, DecimalQueryParam, WHOLE_NUMBER_PARAM } from './decimal-query-param';
import { IsModelName, IsPipelineName } from './generation-options.dto';

/**
 * Query string of `GET /api/chat/stream`, for EventSource clients that can only GET. Every value
 * arrives as a string (a repeated parameter as an array, which fails); numbers are parsed strictly.
 */
export class ChatQueryDto {
  @IsPromptText()
  @MinLength(1)
  query!: string;

  @IsOptionalNotNull()
  @IsPromptText({ allowBlank: true })
  @MaxLength(8000)
  system?: string;

  @IsOptionalNotNull()
  @IsModelName()
  model?: string;

  @IsOptionalNotNull()
  @DecimalQueryParam({ pattern: DECIMAL_PARAM })
  @Min(0)
  @Max(2)
  temperature?: number;

  @IsOptionalNotNull()
  @DecimalQueryParam({ pattern: WHOLE_NUMBER_PARAM, integer: true })
  @Min(1)
  maxTokens?: number;

  /** Which pipeline answers (`GET /api/pipelines`); `chat` when absent. */
  @IsOptionalNotNull()
  @IsPipelineName()
  pipeline?: string;

  /** `continue` keeps generating while an EventSource reconnects (see `requestId`). */
  @IsOptionalNotNull()
  @IsIn(['cancel', 'continue'])
  onDisconnect?: DisconnectPolicy;

  /** Names the stream, for EventSource clients that cannot set X-Request-Id. */
  @IsOptionalNotNull()
  @IsString()
  @Matches(REQUEST_ID_PATTERN, { message: `requestId ${REQUEST_ID_MESSAGE}` })
  requestId?: string;

  /** Where a reconnecting client left off, for clients that cannot send Last-Event-ID. */
  @IsOptionalNotNull()
  @IsString()
  @Matches(EVENT_ID_PATTERN, { message: 'lastEventId must be an event id: a whole number' })
  lastEventId?: string;
}
