import { agentPipeline } from './agent.pipeline';
import { chatPipeline } from './chat.pipeline';
import type { Pipeline } from './pipeline';

/** Every pipeline a request can select. Add yours here: one file, one line. */
export const PIPELINES: readonly Pipeline[] = [chatPipeline, agentPipeline];
