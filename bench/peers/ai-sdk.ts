/** Vercel AI SDK: streamText() over the OpenAI chat-completions provider, text relayed as SSE. */
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { announce, MODEL, PORT, SSE_HEADERS, UPSTREAM_URL } from './peer-env';

const provider = createOpenAI({ baseURL: UPSTREAM_URL, apiKey: 'bench' });
const app = express();
app.use(express.json());

app.post('/api/chat/stream', async (req, res) => {
  const { query } = req.body as { query: string };
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  res.writeHead(200, SSE_HEADERS);
  try {
    const result = streamText({
      model: provider.chat(MODEL),
      prompt: query,
      abortSignal: controller.signal,
      maxRetries: 0,
    });
    for await (const content of result.textStream) {
      res.write(`data: ${JSON.stringify({ content })}\n\n`);
    }
  } catch {
    // aborted or failed
  }
  res.end('data: [DONE]\n\n');
});

const server = app.listen(PORT, '127.0.0.1', () =>
  announce((server.address() as AddressInfo).port),
);
