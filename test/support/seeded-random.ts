/**
 * A small seeded PRNG (mulberry32), so a soak's random schedule can be replayed exactly from the
 * seed it prints. Not for anything but tests.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** The seed in `envName` when set, else one from the clock; printed by the caller. */
  static fromEnv(envName: string): SeededRandom {
    const given = process.env[envName];
    return new SeededRandom(given ? Number(given) : Date.now() % 2 ** 31);
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}
