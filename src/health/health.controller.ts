import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { StreamLog } from '../stream-log/stream-log';

@Controller('health')
export class HealthController {
  constructor(
    private readonly shutdown: ShutdownState,
    private readonly log: StreamLog,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Whether a load balancer should send new streams here. */
  @Get('ready')
  ready(): { status: 'ok' } {
    if (this.shutdown.isShuttingDown) {
      throw new ServiceUnavailableException('The server is shutting down.');
    }
    if (!this.log.isHealthy()) {
      throw new ServiceUnavailableException('Stream storage (Redis) is unreachable.');
    }
    return { status: 'ok' };
  }
}
