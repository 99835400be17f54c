import { holdMany, type HeldStream, type HoldOptions } from './held-stream';

export interface BurstOptions {
  baseUrl: string;
  count: number;
  /** The request to send as number `index` of the burst (its path, relative to baseUrl). */
  request: (index: number) => HoldOptions & { path: string };
}

/**
 * Sends `count` starts at once, on connections opened beforehand, as a proxy in front of the
 * service keeps them: the burst then arrives together instead of paced by TCP handshakes, which
 * is when a gap between a limit check and its reservation lets starts through.
 */
export async function burst(options: BurstOptions): Promise<HeldStream[]> {
  const { baseUrl, count } = options;
  await Promise.all(
    Array.from({ length: count }, async () => (await fetch(`${baseUrl}/health/live`)).text()),
  );
  return holdMany(count, (index) => {
    const { path, ...request } = options.request(index);
    return { url: `${baseUrl}${path}`, options: request };
  });
}

/** The answers of a burst: admitted (200) and refused (anything else). */
export function admittedAndRefused(answers: HeldStream[]): {
  admitted: HeldStream[];
  refused: HeldStream[];
} {
  return {
    admitted: answers.filter((answer) => answer.status === 200),
    refused: answers.filter((answer) => answer.status !== 200),
  };
}

/** A refusal a client can act on: the status, a Retry-After in seconds and Nest's JSON shape. */
export function expectRetryableRefusal(answer: HeldStream, status: 429 | 503): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  const error = status === 429 ? 'Too Many Requests' : 'Service Unavailable';
  expect(answer.error).toMatchObject({
    statusCode: status,
    error,
    message: expect.any(String) as string,
  });
}
