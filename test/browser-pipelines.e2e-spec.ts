import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  failingToolPipeline,
  HOSTILE_TOOL_OUTPUT,
  hostileToolPipeline,
  progressPipeline,
  PROGRESS_EVENTS,
  SlowToolProbe,
  slowToolPipeline,
  TWO_PART_INTRO,
  twoPartPipeline,
} from '../client/test/test-pipelines';
import { PIPELINES } from '../src/pipelines/pipelines';
import { launchChromium } from './support/browser';
import { startNginx, type RunningNginx } from './support/nginx';
import { RedisServer } from './support/redis-server';
import { endReason, readStream } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { TcpProxy } from './support/tcp-proxy';
import { waitFor } from './support/wait-for';

const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
/** The demo model's pause between chunks: slow enough to watch, fast enough for a test. */
const DELAY_MS = 50;
const REASONING =
  'The question contains arithmetic (12 * 7); the calculator will get it exactly right.';
const ANSWER = 'The calculator tool says **84**.';

describe.each([
  ['the in-memory log', false],
  ['the Redis log', true],
])('the demo page with pipelines, in Chromium through nginx, with %s', (logName, withRedis) => {
  const slowTool = new SlowToolProbe();
  const extraPipelines = [
    hostileToolPipeline,
    failingToolPipeline,
    slowToolPipeline(20_000, slowTool),
    progressPipeline,
    twoPartPipeline,
  ];
  const shot = (name: string): string =>
    join(ARTIFACTS, `pipelines-${name}-${withRedis ? 'redis' : 'memory'}.png`);
  let redis: RedisServer | undefined;
  let service: RunningApp;
  let nginx: RunningNginx;
  let network: TcpProxy;
  let pageUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    redis = withRedis ? await RedisServer.start() : undefined;
    service = await startApp(
      {
        LLM_PROVIDER: 'demo',
        DEMO_TOKEN_DELAY_MS: String(DELAY_MS),
        ...(redis ? { REDIS_URL: redis.url } : {}),
      },
      { pipelines: extraPipelines },
    );
    nginx = await startNginx([service.port]);
    network = new TcpProxy(Number(new URL(nginx.url).port));
    pageUrl = await network.start();
    browser = await launchChromium();
  }, 60_000);

  beforeEach(async () => {
    page = await browser.newPage();
    await page.goto(`${pageUrl}/`);
    await page.waitForSelector('#pipeline[data-loaded="true"]');
  });

  afterEach(async () => {
    // Every stream this page started has its end in the log before the app may close (with
    // Redis, the last events are stored a moment after the browser read them).
    const ids = await page.$$eval('.answer', (answers) =>
      answers.map((answer) => (answer as HTMLElement).dataset.requestId ?? ''),
    );
    for (const id of ids.filter(Boolean)) {
      await readStream(`${service.url}/api/chat/streams/${id}`, { method: 'GET' });
    }
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await network?.close();
    await nginx?.stop();
    await service?.close();
    await redis?.stop();
  });

  async function ask(question: string, pipeline: string): Promise<void> {
    await page.selectOption('#pipeline', pipeline);
    await page.fill('#question', question);
    await page.click('#send');
  }

  const waitUntilDone = (): Promise<unknown> =>
    page.waitForSelector('.answer[data-done="true"]', { timeout: 20_000 });

  /** The answer's direct children, in order, by class: where each block sits. */
  const layout = (): Promise<string[]> =>
    page.$$eval('.answer > *', (children: Element[]) => children.map((child) => child.className));

  it('the selector lists the pipelines from GET /api/pipelines, with their descriptions', async () => {
    const options = await page.$$eval('#pipeline option', (elements) =>
      elements.map((option) => ({
        name: (option as HTMLOptionElement).value,
        description: option.getAttribute('title'),
      })),
    );
    expect(options).toEqual(
      [...PIPELINES, ...extraPipelines].map(({ name, description }) => ({ name, description })),
    );
    expect(options.slice(0, 2).map((option) => option.name)).toEqual(['chat', 'agent']);
    await page.selectOption('#pipeline', 'agent');
    expect(await page.textContent('#pipeline-description')).toBe(PIPELINES[1].description);
    expect(await page.$eval('label[for="pipeline"]', (label) => label.textContent)).toBe(
      'Pipeline',
    );
  });

  it('agent: reasoning fills a collapsed block as it streams, then the calculator block, then the answer', async () => {
    await ask('What is 12 * 7?', 'agent');
    // While it streams: reasoning visible (collapsed) and growing, no tool block yet.
    const firstGlimpse = await page.waitForFunction(() => {
      const text = document.querySelector('.answer details.reasoning .reasoning-text')?.textContent;
      return text && text.length > 0 && !document.querySelector('.answer details.tool') && text;
    });
    const early = (await firstGlimpse.jsonValue()) as string;
    expect(early.length).toBeLessThan(REASONING.length);
    expect(await page.textContent('.answer details.reasoning summary')).toBe('Reasoning thinking…');
    expect(await page.$('.answer[data-done="true"]')).toBeNull();
    await page.screenshot({ path: shot('reasoning-streaming') });

    await waitUntilDone();
    expect(await layout()).toEqual(['reasoning', 'tool', 'answer-text']);
    const reasoning = await page.$eval('.answer details.reasoning', (details) => ({
      open: (details as HTMLDetailsElement).open,
      summary: details.querySelector('summary')?.textContent,
      text: details.querySelector('.reasoning-text')?.textContent,
    }));
    expect(reasoning).toEqual({ open: false, summary: 'Reasoning', text: REASONING });

    const tool = page.locator('.answer details.tool');
    expect(await tool.getAttribute('data-tool-name')).toBe('calculator');
    expect(await tool.getAttribute('data-state')).toBe('done');
    expect(await tool.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(false);
    expect(await tool.locator('summary').textContent()).toBe(
      'calculator expression: "12 * 7" → 84',
    );
    await tool.locator('summary').click();
    expect(await tool.locator('pre.tool-args').isVisible()).toBe(true);
    expect(JSON.parse((await tool.locator('pre.tool-args').textContent()) ?? '')).toEqual({
      expression: '12 * 7',
    });
    expect(await tool.locator('pre.tool-result').textContent()).toBe('84');

    expect(await page.$eval('.answer', (answer) => (answer as HTMLElement).dataset.text)).toBe(
      ANSWER,
    );
    expect(await page.textContent('.answer .answer-text strong')).toBe('84');
    expect(await page.textContent('#status')).toMatch(/first token \d+ ms · .*usage/);
    await page.screenshot({ path: shot('agent-done') });
  });

  it('answer text before and after the blocks stays in order, and re-rendering it never touches them', async () => {
    // Open each block the moment it is inserted (a MutationObserver runs before any repaint):
    // a re-render of the whole answer would replace them and close them again.
    await page.evaluate(() => {
      const seen: Element[] = [];
      (window as unknown as { blocks: Element[] }).blocks = seen;
      new MutationObserver((records) => {
        for (const record of records)
          for (const node of Array.from(record.addedNodes))
            if (node instanceof HTMLDetailsElement) {
              node.open = true;
              seen.push(node);
            }
      }).observe(document.getElementById('transcript') as HTMLElement, {
        childList: true,
        subtree: true,
      });
    });
    await ask('What is 12 * 7?', 'two-part');
    await waitUntilDone();
    expect(await layout()).toEqual(['answer-text', 'reasoning', 'tool', 'answer-text']);
    const blocks = await page.evaluate(() =>
      (window as unknown as { blocks: HTMLDetailsElement[] }).blocks.map((block) => ({
        className: block.className,
        connected: block.isConnected,
        open: block.open,
      })),
    );
    expect(blocks).toEqual([
      { className: 'reasoning', connected: true, open: true },
      { className: 'tool', connected: true, open: true },
    ]);
    const segments = page.locator('.answer > .answer-text');
    expect(await segments.nth(0).locator('strong').textContent()).toBe('work it out');
    expect(await segments.nth(0).locator('li').allTextContents()).toEqual([
      'ask the calculator',
      'then answer',
    ]);
    expect(await segments.nth(1).locator('strong').textContent()).toBe('84');
    expect(await page.$eval('.answer', (answer) => (answer as HTMLElement).dataset.text)).toBe(
      TWO_PART_INTRO + ANSWER,
    );
    await page.screenshot({ path: shot('two-part') });
  });

  it('hostile tool output is shown as text and stays inert', async () => {
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await ask('What is 12 * 7?', 'hostile-tool');
    await waitUntilDone();
    await page.locator('.answer details.tool summary').click();
    expect(await page.textContent('.answer details.tool pre.tool-result')).toBe(
      HOSTILE_TOOL_OUTPUT,
    );
    await page.click('.answer a').catch(() => undefined);
    expect(
      await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    expect(await page.$$('.answer details img, .answer details script, .answer details a')).toEqual(
      [],
    );
    expect(
      await page.$$(
        '.answer script, .answer [onerror], .answer [onload], .answer a[href^="javascript"]',
      ),
    ).toEqual([]);
    expect(dialogs).toBe(0);
    await page.screenshot({ path: shot('hostile-tool') });
  });

  it('a tool that throws: its block says failed and shows the error, styled as one', async () => {
    await ask('What is 12 * 7?', 'failing-tool');
    await waitUntilDone();
    const tool = page.locator('.answer details.tool');
    expect(await tool.getAttribute('data-state')).toBe('error');
    expect(await tool.locator('.tool-state').textContent()).toBe('failed');
    await tool.locator('summary').click();
    expect(await tool.locator('.tool-label').allTextContents()).toEqual(['Arguments', 'Error']);
    expect(await tool.locator('pre.tool-result.error').textContent()).toContain(
      'the abacus is broken',
    );
    expect(await page.textContent('.answer .answer-text')).toContain('could not do that');
    await page.screenshot({ path: shot('failing-tool') });
  });

  it('custom data events show as collapsed data blocks before the answer', async () => {
    await ask('Hello', 'progress');
    await waitUntilDone();
    expect((await layout()).slice(0, 3)).toEqual(['data-event', 'data-event', 'answer-text']);
    const blocks = await page.$$eval('.answer details.data-event', (elements) =>
      elements.map((details) => ({
        open: (details as HTMLDetailsElement).open,
        summary: details.querySelector('summary')?.textContent,
        data: JSON.parse(details.querySelector('pre')?.textContent ?? 'null') as unknown,
      })),
    );
    expect(blocks).toEqual(
      PROGRESS_EVENTS.map(({ name, data }) => ({ open: false, summary: `data · ${name}`, data })),
    );
  });

  it(`Stop while a tool runs: the stream ends cancelled, the tool is aborted, its block says so (${logName})`, async () => {
    const startedBefore = slowTool.started;
    const abortedBefore = slowTool.aborted;
    await ask('What is 12 * 7?', 'slow-tool');
    await page.waitForSelector('.answer details.tool[data-state="running"]');
    expect(await page.textContent('#status')).toBe('Calling calculator…');
    await waitFor('the slow tool to start', () => slowTool.started > startedBefore);
    await page.click('#stop');
    await page.waitForSelector('.answer[data-end-reason="cancelled"][data-done="true"]');
    expect(await page.textContent('.answer details.tool .tool-state')).toBe(
      'no result (cancelled)',
    );
    await waitFor('the slow tool to be aborted', () => slowTool.aborted > abortedBefore, 5000);
    const requestId = await page.$eval(
      '.answer',
      (answer) => (answer as HTMLElement).dataset.requestId ?? '',
    );
    const record = await readStream(`${service.url}/api/chat/streams/${requestId}`, {
      method: 'GET',
    });
    expect(endReason(record)).toBe('cancelled');
    expect(record.events.map((event) => event.event)).not.toContain('tool_result');
    await page.screenshot({ path: shot('stopped-in-tool') });
  });

  it(`a network cut mid-reasoning resumes: one reasoning block, one tool block, the whole answer (${logName})`, async () => {
    await ask('What is 12 * 7?', 'agent');
    await page.waitForFunction(
      () =>
        (document.querySelector('.answer .reasoning-text')?.textContent ?? '').split(' ').length >
        3,
    );
    network.setRefusing(true);
    network.cutAll();
    await page.waitForSelector('#status.reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 500));
    network.setRefusing(false);
    await waitUntilDone();
    expect(await layout()).toEqual(['reasoning', 'tool', 'answer-text']);
    expect(await page.textContent('.answer .reasoning-text')).toBe(REASONING);
    expect(await page.textContent('.answer details.tool pre.tool-result')).toBe('84');
    expect(await page.$eval('.answer', (answer) => (answer as HTMLElement).dataset.text)).toBe(
      ANSWER,
    );
    expect(await page.$eval('.answer', (answer) => (answer as HTMLElement).dataset.endReason)).toBe(
      'stop',
    );
  });
});

describe('the pipeline selector when the service wants an API key', () => {
  let service: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    service = await startApp({ LLM_PROVIDER: 'demo', API_KEYS: 'key-a' });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('says why it cannot list them, offers chat, and fills in once a key is entered', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${service.url}/`);
      await page.waitForFunction(
        () => (document.getElementById('pipeline-description')?.textContent ?? '') !== '',
      );
      expect(await page.textContent('#pipeline-description')).toMatch(
        /^Pipelines could not be listed: /,
      );
      expect(await page.$$eval('#pipeline option', (options) => options.length)).toBe(1);
      expect(await page.inputValue('#pipeline')).toBe('chat');
      await page.click('#settings summary');
      await page.fill('#api-key', 'key-a');
      await page.press('#api-key', 'Enter');
      await page.waitForSelector('#pipeline[data-loaded="true"]');
      expect(
        await page.$$eval('#pipeline option', (options: HTMLOptionElement[]) =>
          options.map((option) => option.value),
        ),
      ).toEqual(['chat', 'agent']);
    } finally {
      await page.close();
    }
  });
});
