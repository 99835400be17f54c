export type StreamStatus = 'running' | 'finished';

/** What the log knows about a stream besides its events. */
export interface StreamMeta {
  requestId: string;
  /** The API key that started it (API_KEYS mode); only it may attach or cancel. */
  owner?: string;
  status: StreamStatus;
  /** The instance that runs the generation. */
  instanceId: string;
  createdAt: number;
}

export type NewStream = Omit<StreamMeta, 'status'>;
