/**
 * Registered before a reader looks at the log, so an append that lands between the read and the
 * wait is never missed: `changed` then returns at once.
 */
export interface StreamWatcher {
  /** Resolves true when the stream may have new events, false after `timeoutMs` or an abort. */
  changed(timeoutMs: number, signal: AbortSignal): Promise<boolean>;
  close(): void;
}
