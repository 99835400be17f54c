import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { ChatQueryDto } from './chat-query.dto';

const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

function validate(query: Record<string, unknown>): Promise<ChatQueryDto> {
  return pipe.transform(query, { type: 'query', metatype: ChatQueryDto }) as Promise<ChatQueryDto>;
}

describe('ChatQueryDto', () => {
  it('parses plain decimal numbers and keeps the stream fields', async () => {
    const dto = await validate({
      query: 'hi',
      maxTokens: '512',
      temperature: '0.7',
      requestId: 'abc-1',
      lastEventId: '12',
    });
    expect(dto).toMatchObject({
      query: 'hi',
      maxTokens: 512,
      temperature: 0.7,
      requestId: 'abc-1',
      lastEventId: '12',
    });
    expect((await validate({ query: 'hi', temperature: '2' })).temperature).toBe(2);
    expect((await validate({ query: 'hi', temperature: '0' })).temperature).toBe(0);
  });

  it.each([
    ['maxTokens', '0x10'],
    ['maxTokens', '1e3'],
    ['maxTokens', ''],
    ['maxTokens', ' 5'],
    ['maxTokens', '5 '],
    ['maxTokens', '+5'],
    ['maxTokens', '05'],
    ['maxTokens', '0'],
    ['maxTokens', '1.0'],
    ['maxTokens', '9999999999'],
    ['temperature', ''],
    ['temperature', '0x1'],
    ['temperature', '1e0'],
    ['temperature', '.5'],
    ['temperature', '0.'],
    ['temperature', '-0'],
    ['temperature', 'NaN'],
    ['temperature', 'Infinity'],
    ['temperature', '2.5'],
    ['query', ''],
    ['query', ' \t'],
    ['query', 'a\u0000'],
    ['system', 'x\u0000'],
    ['requestId', ''],
    ['requestId', '.x'],
    ['requestId', 'a b'],
    ['lastEventId', ''],
    ['lastEventId', '-1'],
    ['lastEventId', '1e3'],
    ['lastEventId', '1234567890'],
  ])('refuses %s=%j', async (name, value) => {
    await expect(validate({ query: 'hi', [name]: value })).rejects.toBeInstanceOf(
      BadRequestException,
    );
  });

  it('refuses a repeated parameter (an array)', async () => {
    await expect(validate({ query: ['a', 'b'] })).rejects.toBeInstanceOf(BadRequestException);
    await expect(validate({ query: 'a', maxTokens: ['1', '2'] })).rejects.toBeInstanceOf(
      BadRequestException,
    );
  });
});
