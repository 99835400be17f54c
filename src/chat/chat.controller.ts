import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { NativeRenderer } from '../protocol/native/native-renderer';
import { ChatQueryDto } from './dto/chat-query.dto';
import { ChatRequestDto } from './dto/chat-request.dto';
import { JsonContentTypeGuard } from './json-content-type.guard';
import { resolveLastEventId } from './last-event-id';
import { relayStream } from './relay-stream';
import { resolveRequestId } from './request-id';
import { StreamFollower } from './stream-follower';
import { StreamStarter } from './stream-starter';
import { toChatRequest, type ChatRequestInput } from './to-chat-request';
import { VisibleStreams } from './visible-streams';

/** `/api/chat/stream`: start a generation and stream it on this response. */
@Controller('chat')
@UseGuards(ApiKeyGuard)
export class ChatController {
  constructor(
    private readonly starter: StreamStarter,
    private readonly follower: StreamFollower,
    private readonly streams: VisibleStreams,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('stream')
  @UseGuards(JsonContentTypeGuard)
  streamFromPost(
    @Body() body: ChatRequestDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const requestId = resolveRequestId(req.headers['x-request-id']);
    return this.startAndRelay(req, res, body, requestId);
  }

  /**
   * The EventSource form. It is idempotent per stream, because a browser reconnects to the same
   * URL whenever the response ends or drops: a request naming a stream it already has (the
   * `requestId` parameter or X-Request-Id) resumes it from the log after `Last-Event-ID`; a
   * reconnect that names no stream it can find gets 204, which stops the EventSource. Only a
   * request without `Last-Event-ID` for an unknown id starts a generation.
   */
  @Get('stream')
  async streamFromGet(
    @Query() query: ChatQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const named = query.requestId ?? req.headers['x-request-id'];
    const requestId = resolveRequestId(named);
    const afterId = resolveLastEventId(req.headers['last-event-id'], query.lastEventId);
    if (named !== undefined) {
      const meta = await this.streams.find(req, requestId);
      if (meta) {
        await this.follower.serve(res, {
          meta,
          requestId,
          afterId,
          renderer: new NativeRenderer(),
        });
        return;
      }
    }
    if (afterId >= 0) {
      // A reconnect for a stream that cannot be found: never start a second generation for it.
      res.status(204).end();
      return;
    }
    await this.startAndRelay(req, res, query, requestId);
  }

  private async startAndRelay(
    req: Request,
    res: Response,
    input: ChatRequestInput,
    requestId: string,
  ): Promise<void> {
    const request = toChatRequest(input, this.config);
    const stream = await this.starter.start({ req, res, request, requestId });
    await relayStream(res, stream, { config: this.config, renderer: new NativeRenderer() });
  }
}
