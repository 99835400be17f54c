import { ChatProtocolError } from './errors.js';
import { refusal } from './refusal.js';

/** A pipeline a request may select with `body.pipeline`. */
export interface PipelineInfo {
  name: string;
  /** One line, for a picker's label or tooltip. */
  description: string;
}

export interface ListPipelinesInit {
  /** e.g. `{ Authorization: 'Bearer …' }` when the service has API_KEYS set. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

const isPipelineInfo = (value: unknown): value is PipelineInfo =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { name?: unknown }).name === 'string' &&
  typeof (value as { description?: unknown }).description === 'string';

/**
 * The pipelines the service offers (`GET /api/pipelines`), in its order. A refusal (e.g. 401
 * without a key) is a ChatHttpError; a body not of the contract's shape is a ChatProtocolError.
 */
export async function listPipelines(
  baseUrl: string,
  init: ListPipelinesInit = {},
): Promise<PipelineInfo[]> {
  const doFetch = init.fetch ?? fetch;
  const response = await doFetch(`${baseUrl}/api/pipelines`, {
    headers: { Accept: 'application/json', ...init.headers },
    signal: init.signal,
  });
  if (!response.ok) throw await refusal(response);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error: unknown) {
    throw notTheContract('its body is not valid JSON', error);
  }
  const pipelines = (body as { pipelines?: unknown } | null)?.pipelines;
  if (!Array.isArray(pipelines) || !pipelines.every(isPipelineInfo)) {
    throw notTheContract('"pipelines" is not a list of { name, description }');
  }
  return pipelines.map(({ name, description }) => ({ name, description }));
}

function notTheContract(problem: string, cause?: unknown): ChatProtocolError {
  return new ChatProtocolError(
    `Malformed GET /api/pipelines answer: ${problem}.`,
    'pipelines',
    undefined,
    { cause },
  );
}
