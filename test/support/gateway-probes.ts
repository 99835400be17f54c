/** Polls `check` until it holds; throws naming `what` when it does not within `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `gateway_streams_active` as the process reports it on /metrics, the way an operator sees it. */
export async function activeStreams(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = /^gateway_streams_active (\d+)$/m.exec(text);
  if (!line) throw new Error('/metrics has no gateway_streams_active gauge');
  return Number(line[1]);
}

/** Resolves after `ms`; for the few places where nothing observable marks the moment. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
