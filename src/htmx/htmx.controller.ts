import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { AbortService } from '../abort/abort.service';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { resolveLastEventId } from '../chat/last-event-id';
import { relayStream } from '../chat/relay-stream';
import { StreamFollower } from '../chat/stream-follower';
import { StreamRunner } from '../chat/stream-runner';
import { StreamStarter } from '../chat/stream-starter';
import { toChatRequest } from '../chat/to-chat-request';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { setPageSecurityHeaders } from '../demo-page/page-security-headers';
import { PipelineRegistry } from '../pipelines/pipeline-registry';
import { htmlIdPart } from '../protocol/htmx/html';
import { HtmxFragmentRenderer } from '../protocol/htmx/htmx-fragment-renderer';
import { HtmxChatFormDto, HtmxStopFormDto } from './dto/htmx-chat-form.dto';
import { FormBodyGuard } from './form-body.guard';
import { HtmxRefusalFilter } from './htmx-refusal.filter';
import { renderHtmx2Page, renderHtmx2Turn, renderHtmx4Page } from './htmx-pages';
import { sendBareEnd } from './send-bare-end';
import { VisibleStreams } from '../chat/visible-streams';

/**
 * The htmx view, served by the gateway itself: pages built from HTML and htmx attributes only,
 * and the answer as escaped HTML fragments over SSE. The same generation as every other route:
 * same pipelines, limits, log and cancel. Generations here continue when the connection drops
 * (a cut resumes from the log instead of being paid for twice); Stop cancels them.
 */
@Controller('htmx')
@UseGuards(ApiKeyGuard)
export class HtmxController {
  constructor(
    private readonly starter: StreamStarter,
    private readonly runner: StreamRunner,
    private readonly follower: StreamFollower,
    private readonly streams: VisibleStreams,
    private readonly aborts: AbortService,
    private readonly pipelines: PipelineRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  page(@Res({ passthrough: true }) res: Response): string {
    setPageSecurityHeaders(res);
    res.type('html');
    return renderHtmx4Page({ requestId: randomUUID(), pipelines: this.pipelines.list() });
  }

  @Get('v2')
  @Header('Cache-Control', 'no-store')
  pageForHtmx2(@Res({ passthrough: true }) res: Response): string {
    setPageSecurityHeaders(res);
    res.type('html');
    return renderHtmx2Page({ requestId: randomUUID(), pipelines: this.pipelines.list() });
  }

  /**
   * htmx 4: the answer to the form, streamed. A re-post of the same form (htmx reconnecting with
   * Last-Event-ID after a cut) continues the generation its request id names.
   */
  @Post('chat')
  @UseGuards(FormBodyGuard)
  @UseFilters(HtmxRefusalFilter)
  async chat(
    @Body() form: HtmxChatFormDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const afterId = resolveLastEventId(req.headers['last-event-id'], undefined);
    const renderer = new HtmxFragmentRenderer({
      eventName: 'message',
      question: form.query,
      nextRequestId: randomUUID(),
      lastEventId: afterId,
    });
    const meta = await this.streams.find(req, form.requestId);
    if (meta) {
      const requestId = form.requestId;
      await this.follower.serve(res, {
        meta,
        requestId,
        afterId,
        renderer,
        whenComplete: 'resend-end',
      });
      return;
    }
    if (afterId >= 0) {
      sendBareEnd(res, form.requestId);
      return;
    }
    const request = toChatRequest(
      { query: form.query, pipeline: form.pipeline, onDisconnect: 'continue' },
      this.config,
    );
    const stream = await this.starter.start({ req, res, request, requestId: form.requestId });
    await relayStream(res, stream, { config: this.config, renderer });
  }

  /** htmx 2: starts the generation and answers with its turn, which then follows the stream. */
  @Post('v2/chat')
  @HttpCode(200)
  @UseGuards(FormBodyGuard)
  @UseFilters(HtmxRefusalFilter)
  @Header('Cache-Control', 'no-store')
  async chatForHtmx2(
    @Body() form: HtmxChatFormDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const request = toChatRequest(
      { query: form.query, pipeline: form.pipeline, onDisconnect: 'continue' },
      this.config,
    );
    const stream = await this.starter.start({ req, res, request, requestId: form.requestId });
    void this.runner.runDetached(stream.events);
    res.type('html');
    return renderHtmx2Turn({
      requestId: form.requestId,
      answerId: `answer-${htmlIdPart(form.requestId)}`,
      question: form.query,
      nextRequestId: randomUUID(),
    });
  }

  /**
   * htmx 2 + htmx-ext-sse: the fragments of a stream as `event: fragment`, for an EventSource
   * (resumes with Last-Event-ID; a fresh connection replays from the start into an emptied answer).
   */
  @Get('streams/:requestId')
  async follow(
    @Param('requestId') requestId: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const afterId = resolveLastEventId(req.headers['last-event-id'], undefined);
    const meta = await this.streams.find(req, requestId);
    if (!meta) {
      // The extension reconnects after any closed response; only its close event stops it.
      sendBareEnd(res, requestId);
      return;
    }
    const renderer = new HtmxFragmentRenderer({
      eventName: 'fragment',
      resetAnswer: afterId < 0,
      lastEventId: afterId,
    });
    await this.follower.serve(res, {
      meta,
      requestId,
      afterId,
      renderer,
      whenComplete: 'resend-end',
    });
  }

  /** The Stop button: cancels the generation (its upstream call is closed at once). */
  @Post('stop')
  @UseGuards(FormBodyGuard)
  @HttpCode(204)
  async stop(@Body() form: HtmxStopFormDto, @Req() req: Request): Promise<void> {
    const meta = await this.streams.find(req, form.requestId);
    if (meta?.status === 'running') await this.aborts.cancel(meta.requestId);
  }
}
