import type { Pipeline } from './pipeline';

/** The provider's chat model on its own: the conversation in, the answer out. */
export const chatPipeline: Pipeline = {
  name: 'chat',
  description: 'The chat model on its own; an optional "system" prompt steers it.',
  create: (_request, context) => context.chatModel(),
};
