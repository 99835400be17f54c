import { Injectable } from '@nestjs/common';

/** Whether the process has begun shutting down; new streams and readiness check it. */
@Injectable()
export class ShutdownState {
  private draining = false;

  get isShuttingDown(): boolean {
    return this.draining;
  }

  begin(): void {
    this.draining = true;
  }
}
