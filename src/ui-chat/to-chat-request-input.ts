import { BadRequestException } from '@nestjs/common';
import type { ChatMessage } from '../chat/chat-request';
import type { ChatRequestInput } from '../chat/to-chat-request';
import type { UiChatRequestDto } from './dto/ui-chat-request.dto';
import type { UiMessageDto } from './dto/ui-message.dto';

/** Parts of an assistant message this service wrote itself: sent back by useChat, not prompt. */
function isOwnOutputPart(type: string): boolean {
  return (
    ['reasoning', 'step-start', 'source-url', 'source-document', 'dynamic-tool'].includes(type) ||
    type.startsWith('tool-') ||
    type.startsWith('data-')
  );
}

function textOfPart(part: Record<string, unknown>, message: UiMessageDto, index: number): string {
  const where = `messages.${index}.parts`;
  if (part.type === 'text') {
    if (typeof part.text !== 'string' || part.text.includes('\u0000')) {
      throw new BadRequestException(`${where}: a text part needs a "text" string without NUL.`);
    }
    return part.text;
  }
  if (message.role === 'assistant' && typeof part.type === 'string' && isOwnOutputPart(part.type)) {
    return '';
  }
  throw new BadRequestException(
    `${where}: only text parts are supported (got ${JSON.stringify(String(part.type)).slice(0, 40)}).`,
  );
}

/**
 * The AI SDK's UIMessages as the conversation every view hands to `toChatRequest`: the text parts
 * of each message. Files and other inputs are refused; reasoning, tool and data parts of earlier
 * assistant answers (this service's own output, sent back by useChat) are left out.
 */
export function toChatRequestInput(body: UiChatRequestDto): ChatRequestInput {
  const messages: ChatMessage[] = [];
  body.messages.forEach((message, index) => {
    const content = message.parts.map((part) => textOfPart(part, message, index)).join('');
    if (message.role === 'assistant' && content === '') return;
    if (content.trim() === '') {
      throw new BadRequestException(`messages.${index} has no text.`);
    }
    messages.push({ role: message.role, content });
  });
  // Only earlier answers' own parts, no text: nothing to answer, and never an empty model call.
  if (messages.length === 0) {
    throw new BadRequestException('messages must contain at least one message with text.');
  }
  return {
    messages,
    model: body.model,
    temperature: body.temperature,
    maxTokens: body.maxTokens,
    pipeline: body.pipeline,
    onDisconnect: body.onDisconnect ?? 'cancel',
  };
}
