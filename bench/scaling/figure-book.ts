/**
 * Every measured figure docs/SCALING.md uses, with where it came from. A figure is read by path
 * from bench/results/latest.json (`npm run bench`) or bench/results/scaling.json
 * (`npm run bench:scaling`); a missing one fails the rendering, so a renamed field cannot turn
 * into a silently stale or empty number.
 */

export const LATEST_JSON = 'bench/results/latest.json';
export const SCALING_JSON = 'bench/results/scaling.json';

export interface Figure {
  /** F1, F2…: how the arithmetic refers to it. */
  id: string;
  what: string;
  value: number;
  unit: string;
  /** "bench: <scenario>, <row> (bench/results/latest.json `<path>`)" or "bench:scaling: …". */
  source: string;
  /** Set when the preferred figure is not in the results yet and a stand-in is used. */
  pending?: string;
}

/** Where to read one figure: the scenario and row it belongs to and its path in the JSON. */
export interface Origin {
  file: typeof LATEST_JSON | typeof SCALING_JSON;
  /** e.g. `relays[key=gateway-chat-redis].burst.cpuMicrosPerToken` */
  path: string;
  scenario: string;
  row?: string;
  /** Applied to the value read, e.g. KB → bytes. */
  scale?: number;
}

/** Reads `a.b[k=v,k2=v2].c` from parsed JSON; undefined when any step is missing. */
export function readPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const segment of path.split('.')) {
    const match = /^([^[]+)(?:\[(.+)\])?$/.exec(segment);
    if (!match || node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[match[1]];
    if (match[2] === undefined) continue;
    if (!Array.isArray(node)) return undefined;
    const wanted = match[2].split(',').map((pair) => pair.split('='));
    node = node.find(
      (item: unknown) =>
        item !== null &&
        typeof item === 'object' &&
        wanted.every(([key, value]) => String((item as Record<string, unknown>)[key]) === value),
    );
  }
  return node;
}

function describe(origin: Origin): string {
  const row = origin.row ? `, ${origin.row}` : '';
  const tool = origin.file === LATEST_JSON ? 'bench' : 'bench:scaling';
  return `${tool}: ${origin.scenario}${row} (${origin.file} \`${origin.path}\`)`;
}

export class FigureBook {
  readonly figures: Figure[] = [];
  readonly warnings: string[] = [];

  constructor(
    private readonly files: Record<Origin['file'], unknown>,
    /** Refuse stand-ins: the final run must have every preferred figure. */
    private readonly strict: boolean,
  ) {}

  private read(origin: Origin): number | undefined {
    const value = readPath(this.files[origin.file], origin.path);
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    return value * (origin.scale ?? 1);
  }

  /**
   * A measured figure. `standIns` are used, in order, while the preferred one is missing (a
   * scenario not yet in the committed results); the document then says so next to it.
   */
  add(what: string, unit: string, preferred: Origin, ...standIns: Origin[]): Figure {
    const id = `F${this.figures.length + 1}`;
    const value = this.read(preferred);
    if (value !== undefined) {
      return this.push({ id, what, unit, value, source: describe(preferred) });
    }
    const missing = `${preferred.file} has no number at \`${preferred.path}\``;
    if (this.strict || standIns.length === 0) {
      throw new Error(`docs/SCALING.md needs "${what}": ${missing}`);
    }
    for (const standIn of standIns) {
      const stood = this.read(standIn);
      if (stood === undefined) continue;
      this.warnings.push(`${id} ${what}: ${missing}; using ${standIn.path}`);
      return this.push({
        id,
        what,
        unit,
        value: stood,
        source: describe(standIn),
        pending: `stand-in until ${describe(preferred)} is measured`,
      });
    }
    throw new Error(`docs/SCALING.md needs "${what}": ${missing}, and no stand-in is there either`);
  }

  private push(figure: Figure): Figure {
    this.figures.push(figure);
    return figure;
  }
}
