import type { ChatEventType } from '../protocol/chat-event';
import type { StoredEvent } from '../protocol/stored-event';

const TYPES: readonly ChatEventType[] = [
  'start',
  'token',
  'usage',
  'error',
  'end',
  'reasoning',
  'tool_call',
  'tool_result',
  'data',
];

/**
 * A finished stream's events packed into one string plus two typed arrays. Thousands of finished
 * streams kept for STREAM_TTL_S would otherwise be millions of small objects for the garbage
 * collector to walk on every major GC, which showed up as inter-token lag on live streams.
 */
export class CompactedEvents {
  private readonly datas: string;
  /** Start of event i's data in `datas`; `offsets[length]` is the end. */
  private readonly offsets: Uint32Array;
  private readonly types: Uint8Array;

  constructor(events: readonly StoredEvent[]) {
    this.offsets = new Uint32Array(events.length + 1);
    this.types = new Uint8Array(events.length);
    let position = 0;
    events.forEach((event, index) => {
      this.offsets[index] = position;
      this.types[index] = TYPES.indexOf(event.type);
      position += event.data.length;
    });
    this.offsets[events.length] = position;
    this.datas = events.map((event) => event.data).join('');
  }

  get length(): number {
    return this.types.length;
  }

  /** Events `from` (inclusive) to `to` (exclusive); ids are the indexes. */
  slice(from: number, to: number): StoredEvent[] {
    const end = Math.min(to, this.length);
    const events: StoredEvent[] = [];
    for (let index = Math.max(0, from); index < end; index++) {
      events.push({
        id: index,
        type: TYPES[this.types[index]],
        data: this.datas.slice(this.offsets[index], this.offsets[index + 1]),
      });
    }
    return events;
  }
}
