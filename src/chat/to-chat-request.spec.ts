import { ValidationPipe, BadRequestException } from '@nestjs/common';
import { loadConfig } from '../config/load-config';
import { ChatRequestDto } from './dto/chat-request.dto';
import { toChatRequest } from './to-chat-request';

const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

function validate(body: unknown): Promise<ChatRequestDto> {
  return pipe.transform(body, {
    type: 'body',
    metatype: ChatRequestDto,
  }) as Promise<ChatRequestDto>;
}

describe('request validation', () => {
  const config = loadConfig({
    MAX_QUERY_CHARS: '10',
    MAX_INPUT_CHARS: '20',
    LLM_MAX_TOKENS: '100',
  });

  it('turns a query and a system prompt into messages, with defaults', async () => {
    const dto = await validate({ query: 'hello', system: 'be brief' });
    expect(toChatRequest(dto, config)).toEqual({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      model: 'demo-1',
      temperature: undefined,
      maxTokens: undefined,
      onDisconnect: 'cancel',
      pipeline: 'chat',
    });
  });

  it('keeps a blank system prompt out of the messages', async () => {
    const dto = await validate({ query: 'hello', system: '' });
    expect(toChatRequest(dto, config).messages).toEqual([{ role: 'user', content: 'hello' }]);
  });

  it('keeps a conversation as it is', async () => {
    const messages = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'more' },
    ];
    const dto = await validate({ messages, onDisconnect: 'continue', maxTokens: 100 });
    expect(toChatRequest(dto, config)).toMatchObject({ messages, onDisconnect: 'continue' });
  });

  it.each([
    [{ query: 'x'.repeat(11) }, /at most 10 characters/],
    [{ messages: [{ role: 'user', content: 'x'.repeat(21) }] }, /at most 20 characters in all/],
    [{ query: 'hi', maxTokens: 101 }, /not be greater than 100/],
    [{}, /exactly one/],
  ])('refuses %j', async (body, message) => {
    const dto = await validate(body);
    expect(() => toChatRequest(dto, config)).toThrow(BadRequestException);
    expect(() => toChatRequest(dto, config)).toThrow(message);
  });

  it.each([
    { query: 'a', extra: true },
    { query: 'a', temperature: 3 },
    { messages: [{ role: 'robot', content: 'a' }] },
    { messages: [{ role: 'user' }] },
    { query: 'a', model: 'bad model name' },
    { query: 'a', model: null },
    { query: 'a', system: null },
    { query: 'a', temperature: null },
    { query: 'a', maxTokens: null },
    { query: 'a', onDisconnect: null },
    { query: null },
    { query: ' \n\t' },
    { query: 'a\u0000' },
    { query: 'a', system: 'be\u0000brief' },
    { messages: [[]] },
    { messages: [null] },
    { messages: ['hi'] },
    { messages: [{ role: 'user', content: '  ' }] },
    { messages: [{ role: 'user', content: '\u0000' }] },
    { messages: [{ role: 'user', content: null }] },
  ])('the DTO refuses %j', async (body) => {
    await expect(validate(body)).rejects.toBeInstanceOf(BadRequestException);
  });
});
