/** The floor: bytes from the upstream piped to the client, no parsing at all. */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, MODEL, PORT, SSE_HEADERS, UPSTREAM_URL } from './peer-env';

const upstream = new URL(`${UPSTREAM_URL}/chat/completions`);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const { query } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string };
    const body = JSON.stringify({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: query }],
    });
    const outgoing = request(
      upstream,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (upstreamRes) => {
        res.writeHead(200, SSE_HEADERS);
        upstreamRes.pipe(res);
      },
    );
    res.on('close', () => outgoing.destroy());
    outgoing.end(body);
  });
});
server.listen(PORT, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
