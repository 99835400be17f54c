import { Body, Controller, Get, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { streamOwner } from '../auth/stream-owner';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StreamAdmission } from '../lifecycle/stream-admission';
import { SseWriter } from '../sse/sse-writer';
import { ChatQueryDto } from './dto/chat-query.dto';
import { ChatRequestDto } from './dto/chat-request.dto';
import { JsonContentTypeGuard } from './json-content-type.guard';
import { resolveRequestId } from './request-id';
import { StreamRunner } from './stream-runner';
import { toChatRequest, type ChatRequestInput } from './to-chat-request';

/** `/api/chat/stream`: start a generation and stream it on this response. */
@Controller('chat')
@UseGuards(ApiKeyGuard)
export class ChatController {
  constructor(
    private readonly runner: StreamRunner,
    private readonly admission: StreamAdmission,
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

  private async serveStream(req: Request, res: Response, input: ChatRequestInput): Promise<void> {
    const request = toChatRequest(input, this.config);
    const requestId = resolveRequestId(req.headers['x-request-id']);
    const owner = streamOwner(req, this.config);
    this.admission.check(res, owner);
    const stream = await this.runner.start({ requestId, request, owner });
    const writer = new SseWriter(res, { requestId, heartbeatMs: this.config.stream.heartbeatMs });
    // `req` emits 'close' as soon as the body is read; only the response tells a real hang-up.
    res.on('close', () => {
      if (!res.writableFinished && request.onDisconnect === 'cancel') {
        stream.lease.abort('client_gone');
      }
    });
    writer.open();
    try {
      // With onDisconnect "continue" the loop runs on after a hang-up: writes are dropped, the
      // log keeps every event for a later attach.
      for await (const event of stream.events) {
        const backpressure = writer.write(event);
        if (backpressure) await backpressure;
      }
    } finally {
      writer.end();
    }
  }
}
