import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AbortService, type StreamLease } from '../abort/abort.service';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { bearerKey } from '../auth/bearer-key';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { SseWriter } from '../sse/sse-writer';
import { ChatService } from './chat.service';
import { ChatQueryDto } from './dto/chat-query.dto';
import { ChatRequestDto } from './dto/chat-request.dto';
import { JsonContentTypeGuard } from './json-content-type.guard';
import { resolveRequestId } from './request-id';
import { toChatRequest, type ChatRequestInput } from './to-chat-request';

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_SECONDS = '2';

/** The only place that touches Express requests and responses for chat streams. */
@Controller('chat')
@UseGuards(ApiKeyGuard)
export class ChatController {
  private readonly logger = new Logger(ChatController.name);

  constructor(
    private readonly chat: ChatService,
    private readonly aborts: AbortService,
    private readonly shutdown: ShutdownState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('stream')
  @UseGuards(JsonContentTypeGuard)
  streamFromPost(
    @Body() body: ChatRequestDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.serveStream(req, res, body);
  }

  @Get('stream')
  streamFromGet(
    @Query() query: ChatQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.serveStream(req, res, query);
  }

  @Delete('streams/:requestId')
  @HttpCode(202)
  cancel(
    @Param('requestId') requestId: string,
    @Req() req: Request,
  ): { requestId: string; status: 'cancelling' } {
    const outcome = this.aborts.cancel(requestId, bearerKey(req));
    if (outcome === 'unknown') throw new NotFoundException(`No stream with id "${requestId}".`);
    if (outcome === 'finished') {
      throw new ConflictException({
        statusCode: 409,
        message: 'The stream has already ended.',
        error: 'Conflict',
        requestId,
        status: 'finished',
      });
    }
    return { requestId, status: 'cancelling' };
  }

  private async serveStream(req: Request, res: Response, input: ChatRequestInput): Promise<void> {
    const request = toChatRequest(input, this.config);
    const requestId = resolveRequestId(req.headers['x-request-id']);
    const lease = this.admit(requestId, bearerKey(req), res);
    const writer = new SseWriter(res, { requestId, heartbeatMs: this.config.stream.heartbeatMs });
    // `req` emits 'close' as soon as the body is read; only the response tells a real hang-up.
    res.on('close', () => {
      if (!res.writableFinished && request.onDisconnect === 'cancel') lease.abort('client_gone');
    });
    writer.open();
    try {
      for await (const event of this.chat.stream({ requestId, request, signal: lease.signal })) {
        await writer.write(event);
      }
    } catch (error: unknown) {
      // ChatService ends every stream itself; this only keeps a bug from leaving a client hanging.
      this.logger.error(`stream ${requestId} broke: ${String(error)}`);
      await this.writeInternalFailure(writer);
    } finally {
      lease.release();
      writer.end();
    }
  }

  private admit(requestId: string, owner: string | undefined, res: Response): StreamLease {
    if (this.shutdown.isShuttingDown) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('The server is shutting down; retry shortly.');
    }
    if (this.aborts.runningCount >= this.config.limits.maxConcurrentStreams) {
      res.setHeader('Retry-After', RETRY_AFTER_SECONDS);
      throw new ServiceUnavailableException('Too many streams are running; retry shortly.');
    }
    const outcome = this.aborts.register(requestId, owner);
    if (!outcome.ok) {
      throw new ConflictException(`X-Request-Id "${requestId}" is already in use.`);
    }
    return outcome.lease;
  }

  private async writeInternalFailure(writer: SseWriter): Promise<void> {
    if (writer.endSeen) return;
    const id = (writer.lastEventId ?? -1) + 1;
    await writer.write({
      id,
      type: 'error',
      data: { code: 'internal_error', message: 'The server failed.', retryable: true },
    });
    await writer.write({ id: id + 1, type: 'end', data: { reason: 'error' } });
  }
}
