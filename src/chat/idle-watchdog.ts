/**
 * Fires when the upstream has been silent for `timeoutMs` while we were waiting on it. Time spent
 * while the consumer holds a chunk (e.g. a slow client applying backpressure) does not count:
 * that silence is ours, not the upstream's. Per chunk it only records a timestamp; the single
 * timer re-arms itself for the remaining time when it wakes early.
 */
export class IdleWatchdog {
  private timer: NodeJS.Timeout;
  private waiting = true;
  private lastActivity = performance.now();
  private stopped = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {
    this.timer = setTimeout(() => this.check(), timeoutMs);
  }

  /** A chunk arrived: the upstream is alive; we are busy with it until `waitAgain`. */
  chunkArrived(): void {
    this.waiting = false;
  }

  /** We are waiting on the upstream again; silence from now on counts. */
  waitAgain(): void {
    this.waiting = true;
    this.lastActivity = performance.now();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private check(): void {
    if (this.stopped) return;
    const silentFor = performance.now() - this.lastActivity;
    if (this.waiting && silentFor >= this.timeoutMs) {
      this.onIdle();
      return;
    }
    const remaining = this.waiting ? this.timeoutMs - silentFor : this.timeoutMs;
    this.timer = setTimeout(() => this.check(), Math.max(1, remaining));
  }
}
