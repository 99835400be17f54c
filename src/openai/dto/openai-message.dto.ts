import { IsIn, IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common/is-optional-not-null';
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
}
