/**
 * The name a stream has in the stream log and the abort service: its request id, scoped to its
 * owner. Two API keys may use the same X-Request-Id without seeing or blocking each other, and a
 * key cannot even learn that another key's id exists. "/" never occurs in a request id, so the
 * scoped and unscoped forms cannot collide.
 */
export function streamKey(owner: string | undefined, requestId: string): string {
  return owner === undefined ? requestId : `${owner}/${requestId}`;
}
