import type { StreamRenderer } from '../stream-renderer';
import type { StoredEvent } from '../stored-event';
import { formatNativeFrame, SSE_DONE, SSE_PING, SSE_PREAMBLE } from './native-sse';

/** The service's own view (`/api/chat/*`): every event as it is, then `data: [DONE]`. */
export class NativeRenderer implements StreamRenderer {
  readonly headers = {};
  readonly ping = SSE_PING;
  readonly needsHistory = false;

  preamble(): string {
    return SSE_PREAMBLE;
  }

  render(event: StoredEvent): string {
    return formatNativeFrame(event);
  }

  epilogue(): string {
    return SSE_DONE;
  }
}
