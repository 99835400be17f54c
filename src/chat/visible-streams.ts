import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { streamKey } from '../auth/stream-key';
import { streamOwner } from '../auth/stream-owner';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { StreamLog } from '../stream-log/stream-log';
import type { StreamMeta } from '../stream-log/stream-meta';
import { REQUEST_ID_PATTERN } from './request-id';

/** Finds the caller's streams: ids are scoped to their API key, and only its owner sees one. */
@Injectable()
export class VisibleStreams {
  constructor(
    private readonly log: StreamLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The stream's meta; undefined when the id is malformed, unknown, expired or another key's. */
  async find(req: IncomingMessage, requestId: string): Promise<StreamMeta | undefined> {
    if (!REQUEST_ID_PATTERN.test(requestId)) return undefined;
    const owner = streamOwner(req, this.config);
    return this.owned(req, await this.log.meta(streamKey(owner, requestId)));
  }

  /** The stream an alias of the caller points at (see StreamLog.setAlias). */
  async findByAlias(req: IncomingMessage, alias: string): Promise<StreamMeta | undefined> {
    const key = await this.log.resolveAlias(this.scopedAlias(req, alias));
    return key === undefined ? undefined : this.owned(req, await this.log.meta(key));
  }

  /** Points the caller's `alias` at a stream. */
  setAlias(req: IncomingMessage, alias: string, key: string): Promise<void> {
    return this.log.setAlias(this.scopedAlias(req, alias), key);
  }

  private scopedAlias(req: IncomingMessage, alias: string): string {
    return `${streamOwner(req, this.config) ?? '-'}/${alias}`;
  }

  private owned(req: IncomingMessage, meta: StreamMeta | undefined): StreamMeta | undefined {
    return meta && meta.owner === streamOwner(req, this.config) ? meta : undefined;
  }
}
