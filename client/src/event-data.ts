import { ChatProtocolError } from './errors.js';

const isOneOf = <T extends string>(allowed: readonly T[], value: string): value is T =>
  (allowed as readonly string[]).includes(value);

/** A ChatProtocolError naming the event (and its id, when it had one) and what is wrong. */
export function malformed(options: {
  name: string;
  id: number | undefined;
  problem: string;
  cause?: unknown;
}): ChatProtocolError {
  const { name, id, problem, cause } = options;
  const which = id === undefined ? `"${name}" event` : `"${name}" event ${id}`;
  return new ChatProtocolError(`Malformed ${which}: ${problem}.`, name, id, { cause });
}

/** Checked access to one event's data; any mismatch is a ChatProtocolError naming the event. */
export class EventData {
  constructor(
    private readonly fields: Record<string, unknown>,
    private readonly name: string,
    private readonly id: number,
  ) {}

  string(key: string): string {
    return this.typed(key, 'string') as string;
  }

  number(key: string): number {
    return this.typed(key, 'number') as number;
  }

  boolean(key: string): boolean {
    return this.typed(key, 'boolean') as boolean;
  }

  /** A JSON object (not null, not an array), e.g. a tool call's arguments. */
  object(key: string): Record<string, unknown> {
    const value = this.fields[key];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.malformed(`"${key}" is not a JSON object`);
    }
    return value as Record<string, unknown>;
  }

  /** Any JSON value, or undefined when the key is absent: a pipeline's own payload. */
  anything(key: string): unknown {
    return this.fields[key];
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    if (!isOneOf(allowed, value)) {
      throw this.malformed(`"${key}" is not one of ${allowed.join(', ')}`);
    }
    return value;
  }

  malformed(problem: string, cause?: unknown): ChatProtocolError {
    return malformed({ name: this.name, id: this.id, problem, cause });
  }

  private typed(key: string, type: 'string' | 'number' | 'boolean'): unknown {
    const value = this.fields[key];
    if (typeof value !== type) throw this.malformed(`"${key}" is not a ${type}`);
    return value;
  }
}
