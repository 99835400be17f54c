/**
 * The fake upstream in a process of its own (`node upstream-child.js <tokens> <gapMs>`), for the
 * open-streams scenario: 9,000 streams need 9,000 upstream sockets, which the bench process (with
 * its 9,000 client sockets) cannot also hold under a 20,000 descriptor limit.
 */
import { FakeOpenAIServer } from '../../test/support/fake-openai-server';
import { OPEN_STREAMS_PROMPT, WARM_PROMPT } from './upstream-prompts';

async function main(): Promise<void> {
  const [tokens, gapMs] = process.argv.slice(2).map(Number);
  const server = new FakeOpenAIServer();
  const url = await server.start();
  server.script(OPEN_STREAMS_PROMPT, {
    tokens: Array.from({ length: tokens }, (_, index) => `slow${index} `),
    delayMs: gapMs,
  });
  server.script(WARM_PROMPT, { tokens: ['warm0 ', 'warm1 '] });
  // Nothing else to record: without this the fake keeps every request it ever saw.
  setInterval(() => server.requests.splice(0), 10_000).unref();
  process.stdout.write(`upstream at ${url}\n`);
}

void main();
