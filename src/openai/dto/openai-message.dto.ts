import { IsIn, IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
import { IsAnswerField } from './is-answer-field';
import { IsOpenAIContent, type OpenAITextPart } from './is-openai-content';

/** One message of an OpenAI chat request; tools are the pipeline's, so there is no `tool` role. */
export class OpenAIMessageDto {
  @IsIn(['system', 'developer', 'user', 'assistant'], {
    message: 'role must be one of system, developer, user, assistant (tools run on the server)',
  })
  role!: 'system' | 'developer' | 'user' | 'assistant';

  @IsOpenAIContent()
  content!: string | OpenAITextPart[];

  @IsOptionalNotNull()
  @IsString()
  @MaxLength(64)
  name?: string;

  // An earlier answer of this service sent back as history: accepted, never sent upstream.
  @IsAnswerField('refusal')
  refusal?: string | null;

  @IsAnswerField('reasoning_content')
  reasoning_content?: string;

  @IsAnswerField('tool_calls')
  tool_calls?: unknown[];

  @IsAnswerField('parsed')
  parsed?: null;
}
