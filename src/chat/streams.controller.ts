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
import { streamOwner } from '../auth/stream-owner';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { StreamAdmission } from '../lifecycle/stream-admission';
import { SseWriter } from '../sse/sse-writer';
import { followStream } from '../stream-log/follow-stream';
import { StreamLog } from '../stream-log/stream-log';
import type { StreamMeta } from '../stream-log/stream-meta';
import { ChatRequestDto } from './dto/chat-request.dto';
import { JsonContentTypeGuard } from './json-content-type.guard';
import { resolveLastEventId } from './last-event-id';
import { resolveRequestId } from './request-id';
import { StreamRunner } from './stream-runner';
import { toChatRequest } from './to-chat-request';

/** How often an idle attached reader checks that the stream's instance is still alive. */
const FOLLOW_POLL_MS = 1_000;

/** `/api/chat/streams`: detached generation, attach / resume, and cancel. */
@Controller('chat/streams')
@UseGuards(ApiKeyGuard)
export class StreamsController {
  constructor(
    private readonly runner: StreamRunner,
    private readonly admission: StreamAdmission,
    private readonly log: StreamLog,
    private readonly aborts: AbortService,
    private readonly shutdown: ShutdownState,
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
    const owner = streamOwner(req, this.config);
    this.admission.check(res, owner);
    const stream = await this.runner.start({ requestId, request, owner });
    void this.runner.runDetached(stream);
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
    if (meta.status === 'finished' && (await this.log.range(requestId, afterId, 1)).length === 0) {
      // The client has everything: 204 also tells an EventSource to stop reconnecting.
      res.status(204).end();
      return;
    }
    const reader = new AbortController();
    const stopReading = (): void => reader.abort();
    res.on('close', stopReading);
    this.shutdown.closingSignal.addEventListener('abort', stopReading, { once: true });
    const writer = new SseWriter(res, { requestId, heartbeatMs: this.config.stream.heartbeatMs });
    writer.open();
    try {
      const events = followStream({
        log: this.log,
        requestId,
        afterId,
        signal: reader.signal,
        pollMs: FOLLOW_POLL_MS,
      });
      for await (const event of events) {
        const backpressure = writer.write(event);
        if (backpressure) await backpressure;
      }
    } catch {
      // Storage failed mid-follow: close without [DONE]; the client resumes from its last id.
      res.destroy();
    } finally {
      this.shutdown.closingSignal.removeEventListener('abort', stopReading);
      if (writer.endSeen) writer.end();
      else res.destroy();
    }
  }

  @Delete(':requestId')
  @HttpCode(202)
  async cancel(
    @Param('requestId') requestId: string,
    @Req() req: Request,
  ): Promise<{ requestId: string; status: 'cancelling' }> {
    const meta = await this.visibleMeta(requestId, req);
    if (meta.status === 'finished') {
      throw new ConflictException({
        statusCode: 409,
        message: 'The stream has already ended.',
        error: 'Conflict',
        requestId,
        status: 'finished',
      });
    }
    await this.aborts.cancel(requestId);
    return { requestId, status: 'cancelling' };
  }

  /** The stream's meta; 404 when it is unknown, expired, or another key's. */
  private async visibleMeta(requestId: string, req: Request): Promise<StreamMeta> {
    const meta = await this.log.meta(requestId);
    if (!meta || meta.owner !== streamOwner(req, this.config)) {
      throw new NotFoundException(`No stream with id "${requestId}".`);
    }
    return meta;
  }
}
