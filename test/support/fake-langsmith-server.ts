import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises';
import { LangChainTracer } from '@langchain/core/tracers/tracer_langchain';
import { Client } from 'langsmith';
import { waitFor } from './wait-for';

/** One run as LangSmith stores it: the create (`post`) merged with its updates (`patch`). */
export interface TracedRun {
  id: string;
  trace_id?: string;
  parent_run_id?: string | null;
  dotted_order?: string;
  name?: string;
  run_type?: string;
  tags?: string[];
  extra?: { metadata?: Record<string, unknown> } & Record<string, unknown>;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: string | null;
  start_time?: string | number;
  end_time?: string | number;
  session_name?: string;
  [field: string]: unknown;
}

/** One HTTP request the fake received, for asserting what the client spoke. */
export interface LangSmithRequest {
  method: string;
  path: string;
  contentEncoding: string | undefined;
  /** False when the fake did not know the route (answered 404). */
  understood: boolean;
  /** `performance.now()` when it arrived. */
  at: number;
}

export interface FakeLangSmithOptions {
  /**
   * What `GET /info` advertises: `true` (default) makes the client send `POST /runs/multipart`,
   * `false` makes it fall back to `POST /runs/batch`.
   */
  multipart?: boolean;
}

type RunFields = Record<string, unknown>;

/**
 * A LangSmith API server that records traces, for the `langsmith` client that `@langchain/core`'s
 * LangChainTracer uses (point it here with `LANGSMITH_ENDPOINT`). It speaks every way that client
 * sends runs: `GET /info`, `POST /runs/multipart` (`post.<id>` / `patch.<id>` parts, their
 * `.inputs`/`.outputs`/`.extra`/... field parts and `attachment.<id>.<name>` parts), `POST
 * /runs/batch` (`{post, patch}`), `POST /runs` and `PATCH /runs/:id`, gzip bodies included.
 * Creates and updates are merged by run id in whatever order they arrive.
 */
export class FakeLangSmithServer {
  readonly requests: LangSmithRequest[] = [];
  private readonly creates = new Map<string, RunFields>();
  private readonly updates = new Map<string, RunFields>();
  private readonly attachments = new Map<string, Record<string, string>>();
  private readonly server: Server;
  private held: Promise<void> | undefined;
  private releaseHeld: () => void = () => undefined;

  constructor(private readonly options: FakeLangSmithOptions = {}) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Starts listening; resolves with the endpoint for `LANGSMITH_ENDPOINT`. */
  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Every run received so far, creates merged with their updates. */
  runs(): TracedRun[] {
    const ids = new Set([...this.creates.keys(), ...this.updates.keys()]);
    return [...ids].map((id) => this.run(id));
  }

  /** Runs carrying `tag` (e.g. `request:<id>`), and every run of their traces. */
  traceTagged(tag: string): TracedRun[] {
    const runs = this.runs();
    const traces = new Set(
      runs.filter((run) => run.tags?.includes(tag)).map((run) => run.trace_id),
    );
    return runs.filter((run) => traces.has(run.trace_id));
  }

  /** From now on, runs sent are received but not answered nor stored: a LangSmith that hangs. */
  hold(): void {
    this.held ??= new Promise((resolve) => (this.releaseHeld = resolve));
  }

  /** Answers (and stores) everything held, and stops holding. */
  release(): void {
    this.releaseHeld();
    this.held = undefined;
  }

  /** Requests that sent runs (every route but `/info`). */
  ingestRequests(): LangSmithRequest[] {
    return this.requests.filter((request) => request.path !== '/info');
  }

  attachmentsOf(runId: string): Record<string, string> {
    return this.attachments.get(runId) ?? {};
  }

  /**
   * Polls until `check` holds for the runs received: the client sends traces in the background,
   * in batches, some time after the traced call returned.
   */
  async waitForRuns(
    what: string,
    check: (runs: TracedRun[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<TracedRun[]> {
    await waitFor(what, () => check(this.runs()), timeoutMs);
    return this.runs();
  }

  private run(id: string): TracedRun {
    return { ...this.creates.get(id), ...this.updates.get(id), id } as TracedRun;
  }

  private record(kind: 'post' | 'patch', id: string, fields: RunFields): void {
    const store = kind === 'post' ? this.creates : this.updates;
    store.set(id, { ...store.get(id), ...fields });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/+$/, '');
    const encoding = req.headers['content-encoding'];
    const entry: LangSmithRequest = {
      method: req.method ?? '',
      path,
      contentEncoding: encoding,
      understood: true,
      at: performance.now(),
    };
    this.requests.push(entry);
    try {
      const body = await readBody(req, encoding);
      if (path !== '/info') await this.held;
      const answered = await this.route(entry, req, body, res);
      if (!answered) {
        entry.understood = false;
        reply(res, 404, { detail: `fake LangSmith: no route ${entry.method} ${path}` });
      }
    } catch (error: unknown) {
      entry.understood = false;
      reply(res, 400, { detail: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Handles a known route; false for an unknown one. */
  private async route(
    entry: LangSmithRequest,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): Promise<boolean> {
    const { method, path } = entry;
    if (method === 'GET' && path === '/info') {
      reply(res, 200, serverInfo(this.options.multipart ?? true));
    } else if (method === 'POST' && path === '/runs/multipart') {
      await this.ingestMultipart(req.headers['content-type'] ?? '', body);
      reply(res, 202, {});
    } else if (method === 'POST' && path === '/runs/batch') {
      const batch = JSON.parse(body.toString('utf8')) as {
        post?: RunFields[];
        patch?: RunFields[];
      };
      for (const run of batch.post ?? []) this.record('post', String(run.id), run);
      for (const run of batch.patch ?? []) this.record('patch', String(run.id), run);
      reply(res, 202, {});
    } else if (method === 'POST' && path === '/runs') {
      const run = JSON.parse(body.toString('utf8')) as RunFields;
      this.record('post', String(run.id), run);
      reply(res, 202, {});
    } else if (method === 'PATCH' && path.startsWith('/runs/')) {
      const id = decodeURIComponent(path.slice('/runs/'.length));
      this.record('patch', id, JSON.parse(body.toString('utf8')) as RunFields);
      reply(res, 202, {});
    } else {
      return false;
    }
    return true;
  }

  /**
   * `post.<id>` / `patch.<id>` carry a run's main fields; `post.<id>.<field>` one big field
   * each (inputs, outputs, events, extra, error, serialized); `attachment.<id>.<name>` a file.
   */
  private async ingestMultipart(contentType: string, body: Buffer): Promise<void> {
    const form = await new Request('http://fake/runs/multipart', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    }).formData();
    const parts: [string, FormDataEntryValue][] = [];
    form.forEach((value, name) => parts.push([name, value]));
    for (const [name, value] of parts) {
      const text = typeof value === 'string' ? value : await value.text();
      const [kind, id, field] = splitPartName(name);
      if (kind === 'attachment' && field !== undefined) {
        this.attachments.set(id, { ...this.attachments.get(id), [field]: text });
      } else if (kind === 'post' || kind === 'patch') {
        const parsed: unknown = JSON.parse(text);
        this.record(kind, id, field === undefined ? (parsed as RunFields) : { [field]: parsed });
      } else if (kind !== 'feedback') {
        throw new Error(`fake LangSmith: unknown multipart part "${name}"`);
      }
    }
  }
}

/**
 * Waits until LangChain has run its background callbacks and its LangSmith client has sent every
 * queued run: call it before closing the fake, or the client keeps retrying into a closed port.
 */
export async function flushTraces(): Promise<void> {
  await awaitAllCallbacks();
  // A tracer made without a client uses LangChain's default one, the one every run was sent with.
  const client = new LangChainTracer().client;
  if (!(client instanceof Client)) throw new Error('LangChain traces with a client of its own');
  await client.awaitPendingTraceBatches();
}

/** `post.<uuid>.inputs` → ['post', '<uuid>', 'inputs']; run ids are UUIDs, so no dots inside. */
function splitPartName(name: string): [string, string, string | undefined] {
  const [kind = '', id = '', ...rest] = name.split('.');
  return [kind, id, rest.length > 0 ? rest.join('.') : undefined];
}

/** What a self-hosted LangSmith answers, with compression off so bodies stay inspectable. */
function serverInfo(multipart: boolean): object {
  return {
    version: '0.12.0',
    instance_flags: { gzip_body_enabled: false, zstd_compression_enabled: false },
    batch_ingest_config: {
      use_multipart_endpoint: multipart,
      size_limit: 100,
      size_limit_bytes: 20_971_520,
      scale_up_qsize_trigger: 1000,
      scale_up_nthreads_limit: 16,
      scale_down_nempty_trigger: 4,
    },
  };
}

async function readBody(req: IncomingMessage, encoding: string | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (encoding === undefined || encoding === 'identity') return raw;
  if (encoding === 'gzip') return gunzipSync(raw);
  throw new Error(`fake LangSmith: unsupported Content-Encoding ${encoding}`);
}

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
