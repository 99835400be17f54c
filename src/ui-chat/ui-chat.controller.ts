import {
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AbortService } from '../abort/abort.service';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { JsonContentTypeGuard } from '../chat/json-content-type.guard';
import { relayStream } from '../chat/relay-stream';
import { REQUEST_ID_PATTERN, resolveRequestId } from '../chat/request-id';
import { StreamFollower } from '../chat/stream-follower';
import { StreamStarter } from '../chat/stream-starter';
import { toChatRequest } from '../chat/to-chat-request';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UiMessageRenderer } from '../protocol/ui-message/ui-message-renderer';
import type { StreamMeta } from '../stream-log/stream-meta';
import { UiChatRequestDto } from './dto/ui-chat-request.dto';
import { toChatRequestInput } from './to-chat-request-input';
import { VisibleStreams } from '../chat/visible-streams';

/**
 * The Vercel AI SDK's chat transport (`useChat` with `DefaultChatTransport({ api: '/api/ui/chat' })`):
 * the UI message stream of a generation, its resume (`resume: true` in useChat) and a stop that
 * really cancels it. Same pipelines, limits, log and cancel as every other route.
 */
/** What a chat id names: the chat's latest generation. */
const chatAlias = (chatId: string): string => `ui-chat:${chatId}`;

@Controller('ui/chat')
@UseGuards(ApiKeyGuard)
export class UiChatController {
  constructor(
    private readonly starter: StreamStarter,
    private readonly follower: StreamFollower,
    private readonly streams: VisibleStreams,
    private readonly aborts: AbortService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @UseGuards(JsonContentTypeGuard)
  async chat(
    @Body() body: UiChatRequestDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const request = toChatRequest(toChatRequestInput(body), this.config);
    // Honoured like everywhere else, so DELETE /api/chat/streams/{id} reaches this generation.
    const requestId = resolveRequestId(req.headers['x-request-id']);
    const stream = await this.starter.start({ req, res, request, requestId });
    try {
      await this.streams.setAlias(req, chatAlias(body.id), stream.key);
    } catch (error: unknown) {
      // Storage failed after the claim: give back the lease and the admission place, and end
      // the claimed stream in the log, or it would stay "running" there for ever.
      stream.abandon();
      throw error;
    }
    await relayStream(res, stream, { config: this.config, renderer: new UiMessageRenderer() });
  }

  /** Resume: the chat's running generation from its start, then live; 204 when none runs. */
  @Get(':chatId/stream')
  async resume(
    @Param('chatId') chatId: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const meta = await this.activeGeneration(req, chatId);
    if (!meta || meta.status !== 'running') {
      res.status(204).end();
      return;
    }
    const requestId = meta.requestId.slice(meta.requestId.lastIndexOf('/') + 1);
    await this.follower.serve(res, {
      meta,
      requestId,
      afterId: -1,
      renderer: new UiMessageRenderer(),
    });
  }

  /** Stop: cancels the chat's running generation (useChat's own `stop` only closes its fetch). */
  @Post(':chatId/stop')
  @HttpCode(202)
  async stop(
    @Param('chatId') chatId: string,
    @Req() req: Request,
  ): Promise<{ chatId: string; status: 'cancelling' }> {
    const meta = await this.activeGeneration(req, chatId);
    if (!meta) throw new NotFoundException(`No generation for chat "${chatId}".`);
    if (meta.status !== 'running') {
      throw new ConflictException({
        statusCode: 409,
        message: 'The chat has no running generation.',
        error: 'Conflict',
        status: 'finished',
      });
    }
    await this.aborts.cancel(meta.requestId);
    return { chatId, status: 'cancelling' };
  }

  private activeGeneration(req: Request, chatId: string): Promise<StreamMeta | undefined> {
    if (!REQUEST_ID_PATTERN.test(chatId)) return Promise.resolve(undefined);
    return this.streams.findByAlias(req, chatAlias(chatId));
  }
}
