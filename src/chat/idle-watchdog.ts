/**
 * Fires when the upstream has been silent for `timeoutMs` while we were waiting on it. Time spent
 * while the consumer holds a chunk (e.g. a slow client applying backpressure) does not count:
 * that silence is ours, not the upstream's.
 */
export class IdleWatchdog {
  private readonly timer: NodeJS.Timeout;
  private waiting = true;

  constructor(timeoutMs: number, onIdle: () => void) {
    this.timer = setTimeout(() => {
      if (this.waiting) onIdle();
      else this.timer.refresh();
    }, timeoutMs);
  }

  /** A chunk arrived: the upstream is alive; we are busy with it until `waitAgain`. */
  chunkArrived(): void {
    this.waiting = false;
    this.timer.refresh();
  }

  /** We are waiting on the upstream again; silence from now on counts. */
  waitAgain(): void {
    this.waiting = true;
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
