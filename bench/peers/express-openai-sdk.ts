/** The common Express SSE shape: the openai SDK's stream relayed as `data: {"content"}`. */
import express from 'express';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { announce, MODEL, PORT, SSE_HEADERS, UPSTREAM_URL } from './peer-env';

const client = new OpenAI({ baseURL: UPSTREAM_URL, apiKey: 'bench', maxRetries: 0 });
const app = express();
app.use(express.json());

app.post('/api/chat/stream', async (req, res) => {
  const { query } = req.body as { query: string };
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  res.writeHead(200, SSE_HEADERS);
  try {
    const stream = await client.chat.completions.create(
      {
        model: MODEL,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: query }],
      },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta?.content;
      if (content) res.write(`data: ${JSON.stringify({ content })}\n\n`);
    }
  } catch {
    // aborted or failed: nothing more to send
  }
  res.end('data: [DONE]\n\n');
});

const server = app.listen(PORT, '127.0.0.1', () =>
  announce((server.address() as AddressInfo).port),
);
