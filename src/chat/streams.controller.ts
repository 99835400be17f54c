import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AbortService } from '../abort/abort.service';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { InstanceId } from '../lifecycle/instance-id';
import { NativeRenderer } from '../protocol/native/native-renderer';
import type { StreamMeta } from '../stream-log/stream-meta';
import { ChatRequestDto } from './dto/chat-request.dto';
import { JsonContentTypeGuard } from './json-content-type.guard';
import { resolveLastEventId } from './last-event-id';
import { resolveRequestId } from './request-id';
import { StreamFollower } from './stream-follower';
import { StreamRunner } from './stream-runner';
import { StreamStarter } from './stream-starter';
import { toChatRequest } from './to-chat-request';
import { VisibleStreams } from './visible-streams';

/** `/api/chat/streams`: detached generation, attach / resume, and cancel. */
@Controller('chat/streams')
@UseGuards(ApiKeyGuard)
export class StreamsController {
  constructor(
    private readonly starter: StreamStarter,
    private readonly runner: StreamRunner,
    private readonly follower: StreamFollower,
    private readonly streams: VisibleStreams,
    private readonly aborts: AbortService,
    private readonly instance: InstanceId,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(JsonContentTypeGuard)
  async startDetached(
    @Body() body: ChatRequestDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ requestId: string; streamUrl: string }> {
    // Nobody holds this connection, so the generation always runs to its end.
    const request = toChatRequest({ ...body, onDisconnect: 'continue' }, this.config);
    const requestId = resolveRequestId(req.headers['x-request-id']);
    const stream = await this.starter.start({ req, res, request, requestId });
    void this.runner.runDetached(stream.events);
    const streamUrl = `/api/chat/streams/${encodeURIComponent(requestId)}`;
    res.setHeader('Location', streamUrl);
    res.setHeader('X-Request-Id', requestId);
    return { requestId, streamUrl };
  }

  @Get(':requestId')
  async attach(
    @Param('requestId') requestId: string,
    @Query('lastEventId') lastEventIdQuery: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const afterId = resolveLastEventId(req.headers['last-event-id'], lastEventIdQuery);
    const meta = await this.visibleMeta(requestId, req);
    await this.follower.serve(res, { meta, requestId, afterId, renderer: new NativeRenderer() });
  }

  @Delete(':requestId')
  @HttpCode(202)
  async cancel(
    @Param('requestId') requestId: string,
    @Req() req: Request,
  ): Promise<{ requestId: string; status: 'cancelling' }> {
    const meta = await this.visibleMeta(requestId, req);
    // A stream of this instance that no longer runs here has ended, even when its `finished`
    // mark is still on its way to Redis behind its last events.
    const endedHere =
      meta.instanceId === this.instance.id && !this.aborts.isRunningHere(meta.requestId);
    if (meta.status === 'finished' || endedHere) {
      throw new ConflictException({
        statusCode: 409,
        message: 'The stream has already ended.',
        error: 'Conflict',
        requestId,
        status: 'finished',
      });
    }
    await this.aborts.cancel(meta.requestId);
    return { requestId, status: 'cancelling' };
  }

  /** The stream's meta; 404 when it is unknown, expired, or another key's. */
  private async visibleMeta(requestId: string, req: Request): Promise<StreamMeta> {
    const meta = await this.streams.find(req, requestId);
    if (!meta) throw new NotFoundException('No such stream.');
    return meta;
  }
}
