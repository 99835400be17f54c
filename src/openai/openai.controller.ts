import { Body, Controller, Get, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { JsonContentTypeGuard } from '../chat/json-content-type.guard';
import { relayStream } from '../chat/relay-stream';
import { resolveRequestId } from '../chat/request-id';
import { StreamStarter } from '../chat/stream-starter';
import type { StartedStream } from '../chat/stream-runner';
import { toChatRequest } from '../chat/to-chat-request';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { OpenAIChunkRenderer } from '../protocol/openai/openai-chunk-renderer';
import { OpenAICompletionBuilder } from '../protocol/openai/openai-completion';
import { toChatEvent } from '../protocol/stored-event';
import { ChatCompletionRequestDto } from './dto/chat-completion-request.dto';
import { toChatRequestInput } from './to-chat-request-input';

interface ModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

/**
 * OpenAI-compatible routes: point the official `openai` client (or anything that speaks its API)
 * at `<service>/v1`. The generation is the same as on every other route: same pipelines, limits,
 * log and cancel (`DELETE /api/chat/streams/{X-Request-Id}`). Errors come in OpenAI's shape
 * (see HttpErrorFilter).
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class OpenAIController {
  constructor(
    private readonly starter: StreamStarter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('chat/completions')
  @UseGuards(JsonContentTypeGuard)
  async complete(
    @Body() body: ChatCompletionRequestDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const request = toChatRequest(toChatRequestInput(body), this.config);
    const requestId = resolveRequestId(req.headers['x-request-id']);
    const stream = await this.starter.start({ req, res, request, requestId });
    if (body.stream === true) {
      const includeUsage = body.stream_options?.include_usage === true;
      const renderer = new OpenAIChunkRenderer({ includeUsage });
      await relayStream(res, stream, { config: this.config, renderer });
      return;
    }
    await this.answerWhole(res, stream, {
      namedByClient: req.headers['x-request-id'] !== undefined,
    });
  }

  @Get('models')
  models(): ModelList {
    const { allowedModels, model, provider } = this.config.llm;
    const ids = allowedModels.length > 0 ? allowedModels : [model];
    return {
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: provider })),
    };
  }

  /** `stream: false`: the whole generation, then one `chat.completion`. */
  private async answerWhole(
    res: Response,
    stream: StartedStream,
    options: { namedByClient: boolean },
  ): Promise<void> {
    const builder = new OpenAICompletionBuilder();
    try {
      for await (const event of stream.events) builder.add(toChatEvent(event));
    } finally {
      stream.abandon();
    }
    if (res.destroyed) return;
    const answer = builder.answer();
    res.setHeader('X-Request-Id', stream.requestId);
    if (answer.status >= 400) {
      // The official clients retry every 429 and 5xx unless told not to. A failure no retry can
      // fix (bad upstream credentials) would only cost more upstream calls, and a retry under the
      // client's own X-Request-Id would meet 409 and hide the real error.
      const worthRetrying = answer.retryable && !options.namedByClient;
      res.setHeader('x-should-retry', String(worthRetrying));
    }
    res.status(answer.status).json(answer.body);
  }
}
