/** The NestJS tutorial shape: @Sse() (GET) returning an Observable of LangChain chunks. */
import 'reflect-metadata';
import { Controller, Module, Query, Sse, type MessageEvent } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ChatOpenAI } from '@langchain/openai';
import { from, map, type Observable } from 'rxjs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, MODEL, PORT, UPSTREAM_URL } from './peer-env';

const model = new ChatOpenAI({
  model: MODEL,
  apiKey: 'bench',
  configuration: { baseURL: UPSTREAM_URL },
  maxRetries: 0,
});

async function* tokens(query: string): AsyncGenerator<string> {
  for await (const chunk of await model.stream(query)) {
    if (typeof chunk.content === 'string' && chunk.content) yield chunk.content;
  }
}

@Controller('api/chat')
class ChatController {
  @Sse('stream')
  stream(@Query('query') query: string): Observable<MessageEvent> {
    return from(tokens(query)).pipe(map((content) => ({ data: { content } })));
  }
}

@Module({ controllers: [ChatController] })
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: false });
  await app.listen(PORT, '127.0.0.1');
  const server: Server = app.getHttpServer();
  const address = server.address() as AddressInfo;
  announce(address.port);
}

void main();
