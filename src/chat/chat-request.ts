export type ChatRole = 'system' | 'user' | 'assistant';
export type DisconnectPolicy = 'cancel' | 'continue';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A validated request, in the shape the service needs; built by `toChatRequest`. */
export interface ChatRequest {
  messages: ChatMessage[];
  model: string;
  temperature?: number;
  maxTokens?: number;
  onDisconnect: DisconnectPolicy;
  /** The pipeline that answers; checked against the registry before anything starts. */
  pipeline: string;
}
