import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AbortService } from '../abort/abort.service';
import type { EndReason } from '../protocol/chat-event';
import { StreamLog } from '../stream-log/stream-log';

/**
 * Prometheus metrics of this process. Updated once per stream (start, first token, end), never
 * per token, so the hot path pays nothing for them.
 */
@Injectable()
export class StreamMetrics {
  readonly registry = new Registry();
  private readonly started = new Counter({
    name: 'gateway_streams_started_total',
    help: 'Streams admitted and started.',
    registers: [this.registry],
  });
  private readonly ended = new Counter({
    name: 'gateway_streams_ended_total',
    help: 'Streams ended, by the reason of their end event.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'gateway_stream_tokens_total',
    help: 'Token events relayed.',
    registers: [this.registry],
  });
  private readonly timeToFirstToken = new Histogram({
    name: 'gateway_time_to_first_token_seconds',
    help: 'From admitting a stream to its first token event.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly logReadFailures = new Counter({
    name: 'gateway_stream_log_read_failures_total',
    help: 'Attached readers closed because reading the stream log failed (they resume).',
    registers: [this.registry],
  });

  constructor(aborts: AbortService, log: StreamLog) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'gateway_streams_active',
      help: 'Streams generating in this process now.',
      registers: [this.registry],
      collect() {
        this.set(aborts.runningCount);
      },
    });
    new Gauge({
      name: 'gateway_stream_log_append_failures',
      help: 'Stream log write batches that failed (and were retried), since start.',
      registers: [this.registry],
      collect() {
        this.set(log.appendFailures);
      },
    });
    new Gauge({
      name: 'gateway_stream_log_healthy',
      help: '1 while stream storage is reachable.',
      registers: [this.registry],
      collect() {
        this.set(log.isHealthy() ? 1 : 0);
      },
    });
  }

  logReadFailed(): void {
    this.logReadFailures.inc();
  }

  streamStarted(): void {
    this.started.inc();
  }

  firstToken(seconds: number): void {
    this.timeToFirstToken.observe(seconds);
  }

  streamEnded(reason: EndReason | 'unknown', tokens: number): void {
    this.ended.inc({ reason });
    this.tokens.inc(tokens);
  }
}
