/** The naive LangChain relay: ChatOpenAI.stream() chunks written as they come. */
import { ChatOpenAI } from '@langchain/openai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { announce, MODEL, PORT, SSE_HEADERS, UPSTREAM_URL } from './peer-env';

const model = new ChatOpenAI({
  model: MODEL,
  apiKey: 'bench',
  configuration: { baseURL: UPSTREAM_URL },
  maxRetries: 0,
});
const app = express();
app.use(express.json());

app.post('/api/chat/stream', async (req, res) => {
  const { query } = req.body as { query: string };
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  res.writeHead(200, SSE_HEADERS);
  try {
    for await (const chunk of await model.stream(query, { signal: controller.signal })) {
      if (typeof chunk.content === 'string' && chunk.content) {
        res.write(`data: ${JSON.stringify({ content: chunk.content })}\n\n`);
      }
    }
  } catch {
    // aborted or failed
  }
  res.end('data: [DONE]\n\n');
});

const server = app.listen(PORT, '127.0.0.1', () =>
  announce((server.address() as AddressInfo).port),
);
