/**
 * Carries "cancel stream X" to whichever instance runs X. In one process it is a direct call;
 * with Redis it is a pub/sub channel every instance listens on.
 */
export abstract class CancelBus {
  abstract publish(requestId: string): Promise<void>;
  abstract onCancel(handler: (requestId: string) => void): void;
}
