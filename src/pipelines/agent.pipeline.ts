import { createAgent } from 'langchain';
import type { Pipeline } from './pipeline';
import { calculatorTool } from './tools/calculator.tool';
import { currentTimeTool } from './tools/current-time.tool';

const SYSTEM_PROMPT = [
  'You are a helpful assistant with two tools.',
  'Use the calculator for any arithmetic, and current_time for anything about the current date or time.',
  'Answer briefly, using the tool results.',
].join(' ');

/** A tool-calling agent (LangChain's createAgent, a LangGraph graph) with two harmless tools. */
export const agentPipeline: Pipeline = {
  name: 'agent',
  description: 'A tool-calling agent with a calculator and the current time.',
  create: (_request, context) =>
    createAgent({
      model: context.chatModel(),
      tools: [calculatorTool, currentTimeTool],
      systemPrompt: SYSTEM_PROMPT,
    }).graph,
};
