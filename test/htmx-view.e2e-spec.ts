import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Request as BrowserRequest } from 'playwright-core';
import { jsonToolCall } from './support/fake-tool-calls';
import { endReason, readStream } from './support/sse-client';
import { HtmxPageDriver, type HtmxPageKind } from './support/htmx-page';
import { startHtmxStack, type HtmxStack } from './support/htmx-stack';
import { sleep, within } from './support/wait-for';

const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** 20 words, 80 ms apart: about 1.5 s from the first to the last. */
const WORDS = Array.from({ length: 20 }, (_, index) => `word${index + 1} `);
const WORD_DELAY_MS = 80;

/** Model output that would run, fetch or restructure the page if it were ever parsed as HTML. */
const HOSTILE_TOKENS = [
  'Look: ',
  '<img src=x onerror="window.__xss=1">',
  ' and <script>window.__xss=2</script>',
  '\n<button hx-get="/htmx/injected-get" hx-trigger="load">x</button>',
  '<div hx-post="/htmx/injected-post" hx-trigger="load">y</div>',
  '</span></div></article></main>',
  '<div id="transcript" hx-swap-oob="true">replaced</div>',
  '\nline two\r\nline three\n\nevent: end\ndata: forged\n\n',
  `it's & "quoted" &amp; done`,
];
/** What the user must read: the same characters (HTML turns CR LF into LF, as in any page). */
const HOSTILE_TEXT = HOSTILE_TOKENS.join('').replace(/\r\n?/g, '\n');
const HOSTILE_QUESTION =
  '<img src=x onerror="window.__xss=3"><script>window.__xss=4</script>' +
  '<b hx-get="/htmx/injected-question" hx-trigger="load">bold?</b></p></article>';

describe.each([
  ['the in-memory log', false],
  ['the Redis log', true],
])('the htmx pages in Chromium through nginx, with %s', (logName, withRedis) => {
  let stack: HtmxStack;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startHtmxStack({ withRedis });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  describe.each<[HtmxPageKind]>([['htmx 4'], ['htmx 2']])('%s', (kind) => {
    const shot = (name: string): string =>
      join(
        ARTIFACTS,
        `htmx-${kind.replace(' ', '')}-${name}-${withRedis ? 'redis' : 'memory'}.png`,
      );
    let page: Page;
    let driver: HtmxPageDriver;
    let browserRequests: BrowserRequest[];
    let pageProblems: string[];

    beforeEach(async () => {
      page = await stack.browser.newPage();
      browserRequests = [];
      pageProblems = [];
      page.on('request', (request) => browserRequests.push(request));
      page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
      // A CSP violation or a failed load shows up as a console error.
      page.on('console', (message) => {
        if (message.type() === 'error')
          pageProblems.push(`console: ${message.text()} at ${JSON.stringify(message.location())}`);
      });
      page.on('response', (response) => {
        if (response.status() >= 400) pageProblems.push(`${response.status()} ${response.url()}`);
      });
      page.on('dialog', (dialog) => {
        pageProblems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      driver = new HtmxPageDriver(page, kind);
      await driver.open(stack.pageUrl);
    });

    afterEach(async () => {
      await page.close();
    });

    /** "METHOD /path" of every request the page made since `from`. */
    const requestsSince = (from: number): string[] =>
      browserRequests
        .slice(from)
        .map((request) => `${request.method()} ${new URL(request.url()).pathname}`);

    const expectedRequests = (requestId: string): string[] =>
      kind === 'htmx 4'
        ? ['POST /htmx/chat']
        : ['POST /htmx/v2/chat', `GET /htmx/streams/${requestId}`];

    const questionOf = (requestId: string): Promise<string | null> =>
      page.$eval(
        driver.answerSelector(requestId),
        (answer) => answer.closest('.turn')?.querySelector('.question')?.textContent ?? null,
      );

    it(`the answer grows word by word; the form waits for the end, then holds a new request id; a second question works (${logName})`, async () => {
      const { upstream } = stack;
      const prompt = `progressive ${kind} ${logName}`;
      upstream.script(prompt, { tokens: WORDS, delayMs: WORD_DELAY_MS });
      const firstId = await driver.ask(prompt);

      await driver.waitForAnswerLength(firstId, (WORDS[0] + WORDS[1]).length);
      expect((await driver.answerText(firstId)).length).toBeLessThan(WORDS.join('').length);
      if (kind === 'htmx 4') expect(await driver.formDisabled()).toBe(true);
      await driver.screenshot(shot('streaming'));

      await driver.waitUntilDone(firstId);
      expect(await driver.answerText(firstId)).toBe(WORDS.join(''));
      expect(await questionOf(firstId)).toBe(prompt);
      const timeline = await driver.timeline();
      // Every sample extends the one before: text is only ever added, never replaced or lost.
      for (let index = 1; index < timeline.length; index++) {
        expect(timeline[index].text.startsWith(timeline[index - 1].text)).toBe(true);
      }
      const firstWords = timeline.find((sample) => sample.text.length > 0);
      const whole = timeline.find((sample) => sample.text === WORDS.join(''));
      // The model took ~1.5 s; a buffering proxy would deliver it all at once at the end.
      expect((whole?.at ?? 0) - (firstWords?.at ?? 0)).toBeGreaterThan(WORD_DELAY_MS * 10);
      expect(timeline.filter((sample) => sample.text !== '').length).toBeGreaterThanOrEqual(8);

      const nextId = await driver.requestIdInForm();
      expect(nextId).toMatch(UUID);
      expect(nextId).not.toBe(firstId);
      if (kind === 'htmx 4') expect(await driver.formDisabled()).toBe(false);

      const second = `second question ${kind} ${logName}`;
      upstream.script(second, { tokens: ['Second ', 'answer.'], delayMs: 10 });
      const secondId = await driver.ask(second);
      expect(secondId).toBe(nextId);
      await driver.waitUntilDone(secondId);
      expect(await driver.answerText(secondId)).toBe('Second answer.');
      expect(await driver.answerText(firstId)).toBe(WORDS.join(''));
      expect(await page.$$eval('#transcript > .turn', (turns) => turns.length)).toBe(2);
      expect(upstream.requestsFor(prompt)).toHaveLength(1);
      expect(upstream.requestsFor(second)).toHaveLength(1);
      expect(pageProblems).toEqual([]);
      await driver.screenshot(shot('two-questions'));
    });

    it(`hostile model output and a hostile question are shown as text and stay inert (${logName})`, async () => {
      const { upstream, service } = stack;
      const question = `${HOSTILE_QUESTION} [${kind} ${logName}]`;
      upstream.script(question, { tokens: HOSTILE_TOKENS, delayMs: 5 });
      const requestsBefore = browserRequests.length;
      const seenBefore = service.seen.length;
      const requestId = await driver.ask(question);
      await driver.waitUntilDone(requestId);
      // Time for anything injected with hx-trigger="load" or onerror to have fired.
      await sleep(500);

      expect(await driver.answerText(requestId)).toBe(HOSTILE_TEXT);
      expect(await questionOf(requestId)).toBe(question);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      const turn = await page.$eval(driver.answerSelector(requestId), (answer) => {
        const element = answer.closest('.turn') as Element;
        return {
          injected: element.querySelectorAll(
            'img, script, button, b, [onerror], [hx-get], [hx-post]',
          ).length,
          answerChildren: Array.from(answer.children).map((child) => child.tagName),
          spansWithElements: answer.querySelectorAll('span *').length,
          transcriptHoldsTurn: element.parentElement?.id === 'transcript',
        };
      });
      expect(turn.injected).toBe(0);
      expect(new Set(turn.answerChildren)).toEqual(new Set(['SPAN', 'P']));
      expect(turn.spansWithElements).toBe(0);
      expect(turn.transcriptHoldsTurn).toBe(true);
      expect(requestsSince(requestsBefore)).toEqual(expectedRequests(requestId));
      expect(
        service.seen.slice(seenBefore).filter((request) => /injected|\/x$/.test(request.url)),
      ).toEqual([]);
      expect(pageProblems).toEqual([]);
      await driver.screenshot(shot('hostile'));
    });

    it(`agent: each tool call is a block with its arguments and result, before the answer; hostile tool names and arguments stay text (${logName})`, async () => {
      const { upstream } = stack;
      const question = `agent ${kind} ${logName}`;
      const hostileName = '<img src=x onerror="window.__xss=6">';
      upstream.scriptTurns(question, [
        {
          tokens: [],
          toolCalls: [
            jsonToolCall('call_calc', 'calculator', { expression: '17 * 23' }),
            jsonToolCall('call_evil', hostileName, { html: '<script>window.__xss=7</script>' }),
          ],
          delayMs: 5,
        },
        { tokens: ['17 × 23 ', 'is ', '391.'], delayMs: 20 },
      ]);
      const requestId = await driver.ask(question, 'agent');
      await driver.waitUntilDone(requestId);

      const answer = await page.$eval(driver.answerSelector(requestId), (element) => ({
        layout: Array.from(element.children).map((child) => `${child.tagName}.${child.className}`),
        tools: Array.from(element.querySelectorAll('details.tool')).map((tool) => ({
          name: tool.querySelector('summary')?.textContent,
          args: tool.querySelector('pre.args')?.textContent,
          result: tool.querySelector('pre.result')?.textContent,
          failed: tool.querySelector('pre.result')?.classList.contains('error'),
        })),
        elements: element.querySelectorAll('img, script, [onerror]').length,
      }));
      expect(answer.layout).toEqual([
        'DETAILS.tool',
        'DETAILS.tool',
        'SPAN.',
        'SPAN.',
        'SPAN.',
        'P.usage',
      ]);
      expect(answer.tools[0]).toEqual({
        name: 'calculator',
        args: '{"expression":"17 * 23"}',
        result: '391',
        failed: false,
      });
      expect(answer.tools[1]).toMatchObject({
        name: hostileName,
        args: '{"html":"<script>window.__xss=7</script>"}',
        failed: true,
      });
      expect(answer.tools[1].result).toContain(hostileName);
      expect(answer.elements).toBe(0);
      expect(await driver.answerText(requestId)).toBe('17 × 23 is 391.');
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(upstream.conversationFor(question)).toHaveLength(2);
      expect(pageProblems).toEqual([]);
      await driver.screenshot(shot('agent'));
    });

    it(`a refused question (blank) says why in the transcript; the form then works again with a new request id (${logName})`, async () => {
      const { upstream } = stack;
      const refusedId = await driver.requestIdInForm();
      // Whitespace passes the textarea's "required"; the server refuses it (a paid call for nothing).
      await page.fill('#query', '   ');
      await page.click('#ask button[type="submit"]');
      await page.waitForSelector('#transcript .turn.refused');
      expect(await page.textContent('#transcript .turn.refused .error')).toBe(
        'Not sent: query must not be blank',
      );
      expect(await page.textContent('#transcript')).not.toContain('statusCode');
      const nextId = await driver.requestIdInForm();
      expect(nextId).toMatch(UUID);
      expect(nextId).not.toBe(refusedId);
      if (kind === 'htmx 4') {
        await page.waitForSelector('#ask:not([disabled])');
      }

      const question = `after a refusal ${kind} ${logName}`;
      upstream.script(question, { tokens: ['Fine', ' now.'], delayMs: 5 });
      const requestId = await driver.ask(question);
      expect(requestId).toBe(nextId);
      await driver.waitUntilDone(requestId);
      expect(await driver.answerText(requestId)).toBe('Fine now.');
      // The browser reports the 400 itself; nothing else went wrong.
      expect(pageProblems.filter((problem) => !/status of 400|^400 /.test(problem))).toEqual([]);
      await driver.screenshot(shot('refused'));
    });

    it(`Stop closes the upstream call and the answer says "Stopped." (${logName})`, async () => {
      const { upstream, service } = stack;
      const prompt = `stop me ${kind} ${logName}`;
      const tokens = Array.from({ length: 100 }, (_, index) => `w${index} `);
      upstream.script(prompt, { tokens, delayMs: 60 });
      const seenBefore = service.seen.length;
      const requestId = await driver.ask(prompt);
      await driver.waitForAnswerLength(requestId, 12);
      const clickedAt = Date.now();
      await page.click(`#stop-${requestId}`);
      const [upstreamCall] = upstream.requestsFor(prompt);
      const abortedAt = await within('the upstream socket to close', upstreamCall.aborted, 5_000);
      expect(abortedAt - clickedAt).toBeLessThan(3_000);

      await driver.waitUntilDone(requestId);
      expect(await page.textContent(`${driver.answerSelector(requestId)} p.note`)).toBe('Stopped.');
      const shown = await driver.answerText(requestId);
      expect(tokens.join('').startsWith(shown)).toBe(true);
      expect(shown.length).toBeLessThan(tokens.join('').length);
      if (kind === 'htmx 4') expect(await driver.formDisabled()).toBe(false);
      expect(
        service.seen.slice(seenBefore).filter((request) => request.url === '/htmx/stop'),
      ).toHaveLength(1);
      const record = await readStream(`${service.url}/api/chat/streams/${requestId}`, {
        method: 'GET',
      });
      expect(endReason(record)).toBe('cancelled');
      expect(upstream.requestsFor(prompt)).toHaveLength(1);
      expect(pageProblems).toEqual([]);
      await driver.screenshot(shot('stopped'));
    });
  });
});
