import type { StreamWatcher } from './stream-watcher';

/**
 * A StreamWatcher that latches wake-ups: `notify` while nobody waits is remembered, so the next
 * `changed` returns at once. Both logs use it; they differ only in what calls `notify`.
 */
export class LatchedWatcher implements StreamWatcher {
  private dirty = false;
  private wake: (() => void) | undefined;

  constructor(private readonly detach: () => void = () => undefined) {}

  readonly notify = (): void => {
    this.dirty = true;
    this.wake?.();
  };

  changed(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.dirty || signal.aborted) return Promise.resolve(this.take());
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        this.wake = undefined;
        resolve(this.take());
      };
      const timer = setTimeout(finish, timeoutMs);
      signal.addEventListener('abort', finish, { once: true });
      this.wake = finish;
    });
  }

  close(): void {
    this.wake?.();
    this.detach();
  }

  private take(): boolean {
    const was = this.dirty;
    this.dirty = false;
    return was;
  }
}
