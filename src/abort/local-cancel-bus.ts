import { Injectable } from '@nestjs/common';
import { CancelBus } from './cancel-bus';

/** Single-instance mode: the only instance is this one. */
@Injectable()
export class LocalCancelBus extends CancelBus {
  private readonly handlers: ((requestId: string) => void)[] = [];

  publish(requestId: string): Promise<void> {
    for (const handler of this.handlers) handler(requestId);
    return Promise.resolve();
  }

  onCancel(handler: (requestId: string) => void): void {
    this.handlers.push(handler);
  }
}
