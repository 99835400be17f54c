import type { UsageEvent } from '../src/index.js';

/** Time to first token, tokens per second and usage, for the status line. */
export class StreamStats {
  private readonly startedAt = performance.now();
  private firstTokenAt: number | undefined;
  private lastTokenAt: number | undefined;
  private tokens = 0;
  usage: UsageEvent | undefined;

  token(): void {
    const now = performance.now();
    this.firstTokenAt ??= now;
    this.lastTokenAt = now;
    this.tokens++;
  }

  describe(): string {
    const parts: string[] = [];
    if (this.firstTokenAt !== undefined) {
      parts.push(`first token ${Math.round(this.firstTokenAt - this.startedAt)} ms`);
    }
    if (this.firstTokenAt !== undefined && this.lastTokenAt !== undefined && this.tokens > 1) {
      const seconds = (this.lastTokenAt - this.firstTokenAt) / 1000;
      parts.push(`${(this.tokens / Math.max(seconds, 0.001)).toFixed(1)} tokens/s`);
    }
    if (this.usage) {
      parts.push(`usage ${this.usage.inputTokens} in / ${this.usage.outputTokens} out`);
    }
    return parts.join(' · ');
  }
}
