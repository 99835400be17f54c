import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { streamOwner } from '../auth/stream-owner';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StreamStartRateLimit } from '../limits/stream-start-rate-limit';
import { StreamAdmission } from '../lifecycle/stream-admission';
import { PipelineRegistry } from '../pipelines/pipeline-registry';
import type { ChatRequest } from './chat-request';
import { ClientHangup } from './client-hangup';
import { StreamRunner, type StartedStream } from './stream-runner';

export interface StartRequest {
  req: Request;
  res: Response;
  request: ChatRequest;
  requestId: string;
}

/**
 * The one way a route starts a generation: rate limit, admission, log claim, and, from the very
 * first moment, the client's hang-up (which cancels the generation unless it asked to continue).
 */
@Injectable()
export class StreamStarter {
  constructor(
    private readonly runner: StreamRunner,
    private readonly admission: StreamAdmission,
    private readonly rateLimit: StreamStartRateLimit,
    private readonly pipelines: PipelineRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async start(start: StartRequest): Promise<StartedStream> {
    const { req, res, request, requestId } = start;
    // An unknown pipeline is a 400 before anything is counted, claimed or called.
    this.pipelines.require(request.pipeline);
    const hangup = new ClientHangup(res);
    const owner = streamOwner(req, this.config);
    await this.rateLimit.consume(res, owner);
    const ticket = this.admission.reserve(res, owner);
    const stream = await this.runner.start({ requestId, request, owner, ticket });
    if (request.onDisconnect === 'cancel') {
      hangup.onGone(() => stream.lease.abort('client_gone'));
    }
    return stream;
  }
}
