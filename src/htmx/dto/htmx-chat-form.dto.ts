import { IsString, Matches } from 'class-validator';
import { REQUEST_ID_MESSAGE, REQUEST_ID_PATTERN } from '../../chat/request-id';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { IsPromptText } from '../../common/is-prompt-text';
import { IsPipelineName } from '../../chat/dto/generation-options.dto';

/** The htmx pages' question form (`application/x-www-form-urlencoded`). */
export class HtmxChatFormDto {
  @IsPromptText()
  query!: string;

  /** Chosen by the server when it rendered the form, so a re-post resumes instead of repeating. */
  @IsString()
  @Matches(REQUEST_ID_PATTERN, { message: `requestId ${REQUEST_ID_MESSAGE}` })
  requestId!: string;

  @IsOptionalNotNull()
  @IsPipelineName()
  pipeline?: string;
}

/** The Stop button's form. */
export class HtmxStopFormDto {
  @IsString()
  @Matches(REQUEST_ID_PATTERN, { message: `requestId ${REQUEST_ID_MESSAGE}` })
  requestId!: string;
}
