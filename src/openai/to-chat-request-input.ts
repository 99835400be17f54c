import type { ChatMessage } from '../chat/chat-request';
import type { ChatRequestInput } from '../chat/to-chat-request';
import type { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { contentText } from './dto/is-openai-content';

/** An OpenAI request in the shape every view hands to `toChatRequest`. */
export function toChatRequestInput(body: ChatCompletionRequestDto): ChatRequestInput {
  const messages: ChatMessage[] = body.messages.map((message) => ({
    // `developer` is what newer OpenAI models call the system role.
    role: message.role === 'developer' ? 'system' : message.role,
    content: contentText(message.content),
  }));
  return {
    messages,
    model: body.model,
    temperature: body.temperature,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    pipeline: body.pipeline,
    onDisconnect: 'cancel',
  };
}
