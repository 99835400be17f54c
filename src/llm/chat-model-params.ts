/** What a single request may choose about its model. */
export interface ChatModelParams {
  model: string;
  temperature?: number;
  maxTokens?: number;
}
