import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { HtmxPageDriver, type HtmxPageKind } from './support/htmx-page';
import { startHtmxStack, type HtmxStack } from './support/htmx-stack';
import { sleep } from './support/wait-for';

const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
/** 40 words, 60 ms apart: the generation runs ~2.4 s, well past the cut and the reconnect. */
const WORDS = Array.from({ length: 40 }, (_, index) => `part${index + 1} `);
const OUTAGE_MS = 600;

describe.each([
  ['the in-memory log', false],
  ['the Redis log', true],
])('an htmx page whose network is cut mid-answer, with %s', (logName, withRedis) => {
  let stack: HtmxStack;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startHtmxStack({ withRedis });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  describe.each<[HtmxPageKind, string]>([
    ['htmx 4', '/htmx/chat'],
    ['htmx 2', '/htmx/streams/'],
  ])('%s', (kind, streamPath) => {
    let page: Page;
    let driver: HtmxPageDriver;

    beforeEach(async () => {
      page = await stack.browser.newPage();
      driver = new HtmxPageDriver(page, kind);
      await driver.open(stack.pageUrl);
    });

    afterEach(async () => {
      stack.network.setRefusing(false);
      await page.close();
    });

    it(`resumes the same generation: the whole answer exactly once, one upstream call (${logName})`, async () => {
      const { upstream, service, network } = stack;
      const prompt = `cut ${kind} ${logName}`;
      upstream.script(prompt, { tokens: WORDS, delayMs: 60 });
      const seenBefore = service.seen.length;
      const requestId = await driver.ask(prompt);
      await driver.waitForAnswerLength(requestId, WORDS.slice(0, 4).join('').length);

      network.setRefusing(true);
      network.cutAll();
      await sleep(100);
      const atCut = await driver.answerText(requestId);
      await sleep(OUTAGE_MS);
      // Nothing reaches the page while its network is down: the cut really cut the stream.
      expect(await driver.answerText(requestId)).toBe(atCut);
      expect(atCut.length).toBeLessThan(WORDS.join('').length);
      await driver.screenshot(
        join(ARTIFACTS, `htmx-${kind.replace(' ', '')}-cut-${withRedis ? 'redis' : 'memory'}.png`),
      );
      network.setRefusing(false);

      await driver.waitUntilDone(requestId);
      expect(await driver.answerText(requestId)).toBe(WORDS.join(''));
      expect(await page.$$eval('#transcript > .turn', (turns) => turns.length)).toBe(1);
      const [upstreamCall, ...others] = upstream.requestsFor(prompt);
      expect(others).toEqual([]);
      // The generation ran on through the cut (onDisconnect: continue), to the model's own end.
      expect(upstreamCall.abortedAt).toBeUndefined();
      expect(upstreamCall.finished).toBe(true);
      const resumes = service.seen
        .slice(seenBefore)
        .filter((request) => request.url.startsWith(streamPath) && request.lastEventId);
      expect(resumes.length).toBeGreaterThanOrEqual(1);
      expect(Number(resumes[0].lastEventId)).toBeGreaterThan(0);
      // Resumed from where it was cut: the text was only ever extended, never repeated or reset.
      const timeline = await driver.timeline();
      for (let index = 1; index < timeline.length; index++) {
        expect(timeline[index].text.startsWith(timeline[index - 1].text)).toBe(true);
      }
      if (kind === 'htmx 4') expect(await driver.formDisabled()).toBe(false);
    });
  });
});
