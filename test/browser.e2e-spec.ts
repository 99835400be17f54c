import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { FakeOpenAIServer } from './support/fake-openai-server';
import { startNginx, type RunningNginx } from './support/nginx';
import { openAiEnv } from './support/openai-env';
import { endReason, readStream } from './support/sse-client';
import { startApp, type RunningApp } from './support/start-app';
import { TcpProxy } from './support/tcp-proxy';

const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');

const ANSWER = [
  '## Why the sky is blue\n\n',
  'Sunlight ',
  'is ',
  'scattered ',
  'by ',
  'the ',
  'air, ',
  'and ',
  '**blue** ',
  'light ',
  'is ',
  'scattered ',
  'the ',
  'most.\n\n',
  '- short ',
  'wavelengths\n',
  '- Rayleigh ',
  'scattering\n',
];

describe('the demo page in a real browser, through real nginx', () => {
  const upstream = new FakeOpenAIServer();
  let service: RunningApp;
  let nginx: RunningNginx;
  let network: TcpProxy;
  let pageUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    service = await startApp(openAiEnv(await upstream.start()));
    nginx = await startNginx([service.port]);
    // Between the browser and nginx: a network we can cut.
    network = new TcpProxy(Number(new URL(nginx.url).port));
    pageUrl = await network.start();
    browser = await launchChromium();
  }, 60_000);

  beforeEach(async () => {
    page = await browser.newPage();
    await page.goto(`${pageUrl}/`);
  });

  afterEach(async () => {
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await network?.close();
    await nginx?.stop();
    await service?.close();
    await upstream.close();
  });

  async function ask(question: string): Promise<void> {
    await page.fill('#question', question);
    await page.click('#send');
  }

  const answerText = (): Promise<string> =>
    page.$eval('.answer', (element) => (element as HTMLElement).dataset.text ?? '');

  const waitUntilDone = (): Promise<unknown> =>
    page.waitForSelector('.answer[data-done="true"]', { timeout: 20_000 });

  it('shows the answer growing as tokens arrive, rendered as markdown', async () => {
    upstream.script('progressive', { tokens: ANSWER, delayMs: 80 });
    await ask('progressive');
    await page.waitForFunction(() => {
      const text = document.querySelector<HTMLElement>('.answer')?.dataset.text ?? '';
      return text.includes('scattered');
    });
    const partial = await answerText();
    const doneEarly = await page.$('.answer[data-done="true"]');
    expect(doneEarly).toBeNull();
    expect(partial.length).toBeLessThan(ANSWER.join('').length);
    await page.screenshot({ path: join(ARTIFACTS, 'streaming-partial.png') });
    await waitUntilDone();
    expect(await answerText()).toBe(ANSWER.join(''));
    expect(await page.textContent('.answer h2')).toBe('Why the sky is blue');
    expect(await page.textContent('.answer strong')).toBe('blue');
    expect(await page.textContent('#status')).toMatch(
      /first token \d+ ms · [\d.]+ tokens\/s · usage/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'streaming-done.png') });
  });

  it('Stop cancels on the server: the stream ends cancelled and the upstream call is closed', async () => {
    upstream.script('stop me', {
      tokens: Array.from({ length: 100 }, (_, i) => `w${i} `),
      delayMs: 50,
    });
    await ask('stop me');
    await page.waitForFunction(
      () => (document.querySelector<HTMLElement>('.answer')?.dataset.text ?? '').length > 10,
    );
    const requestId = await page.$eval(
      '.answer',
      (element) => (element as HTMLElement).dataset.requestId ?? '',
    );
    await page.click('#stop');
    await page.waitForSelector('.answer[data-end-reason="cancelled"]');
    const [request] = upstream.requestsFor('stop me');
    await expect(request.aborted).resolves.toBeGreaterThan(0);
    const record = await readStream(`${service.url}/api/chat/streams/${requestId}`, {
      method: 'GET',
    });
    expect(endReason(record)).toBe('cancelled');
  });

  it('survives a network cut mid-answer: it resumes and the text is exactly the full answer', async () => {
    const tokens = Array.from({ length: 40 }, (_, i) => `r${i} `);
    upstream.script('cut', { tokens, delayMs: 60 });
    await ask('cut');
    await page.waitForFunction(() =>
      (document.querySelector<HTMLElement>('.answer')?.dataset.text ?? '').includes('r5 '),
    );
    network.setRefusing(true);
    network.cutAll();
    await page.waitForSelector('#status.reconnecting');
    await page.screenshot({ path: join(ARTIFACTS, 'reconnecting.png') });
    await new Promise((resolve) => setTimeout(resolve, 700));
    network.setRefusing(false);
    await waitUntilDone();
    expect(await answerText()).toBe(tokens.join(''));
    expect(
      await page.$eval('.answer', (element) => (element as HTMLElement).dataset.endReason),
    ).toBe('stop');
    expect(upstream.requestsFor('cut')).toHaveLength(1); // resumed, never re-POSTed
  });

  it('a plain EventSource attaches to a detached stream, reconnects by itself, and stops at the end', async () => {
    const tokens = Array.from({ length: 30 }, (_, i) => `e${i} `);
    upstream.script('eventsource', { tokens, delayMs: 100 });
    const started = await fetch(`${pageUrl}/api/chat/streams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'eventsource' }),
    });
    const { streamUrl } = (await started.json()) as { streamUrl: string };
    await page.evaluate((url) => {
      const state = { tokens: [] as string[], ids: [] as string[], errors: 0, ended: false };
      (window as unknown as { esState: typeof state }).esState = state;
      const source = new EventSource(url);
      (window as unknown as { esSource: EventSource }).esSource = source;
      source.onmessage = (event: MessageEvent<string>) => {
        if (event.data === '[DONE]') return;
        state.ids.push(event.lastEventId);
        state.tokens.push((JSON.parse(event.data) as { content: string }).content);
      };
      source.addEventListener('end', () => (state.ended = true));
      source.onerror = () => {
        state.errors++;
      };
    }, streamUrl);
    await page.waitForFunction(
      () => (window as unknown as { esState: { tokens: string[] } }).esState.tokens.length >= 5,
    );
    network.cutAll(); // the browser's EventSource reconnects on its own, with Last-Event-ID
    await page.waitForFunction(
      () => (window as unknown as { esState: { ended: boolean } }).esState.ended,
      undefined,
      { timeout: 20_000 },
    );
    const state = await page.evaluate(
      () =>
        (window as unknown as { esState: { tokens: string[]; ids: string[]; errors: number } })
          .esState,
    );
    expect(state.tokens.join('')).toBe(tokens.join(''));
    expect(state.errors).toBeGreaterThanOrEqual(1);
    expect(new Set(state.ids).size).toBe(state.ids.length);
    // After the end it reconnects once more (retry: 2000), gets 204, and stops for good.
    await page.waitForFunction(
      () =>
        (window as unknown as { esSource: EventSource }).esSource.readyState === EventSource.CLOSED,
      undefined,
      { timeout: 10_000 },
    );
  });

  it('renders hostile model output inert: no script runs, no handler survives', async () => {
    const hostile = [
      'Here: ',
      '<img src=x onerror="window.__xss = 1">',
      ' and ',
      '<script>window.__xss = 2</script>',
      ' and [a link](javascript:window.__xss=3) ',
      '<a href="javascript:window.__xss=4">b</a> ',
      '<svg onload="window.__xss=5"></svg> done.',
    ];
    upstream.script('hostile', { tokens: hostile });
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await ask('hostile');
    await waitUntilDone();
    await page.click('.answer a').catch(() => undefined);
    expect(
      await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    expect(await page.$$('.answer script')).toHaveLength(0);
    expect(
      await page.$$('.answer [onerror], .answer [onload], .answer a[href^="javascript"]'),
    ).toHaveLength(0);
    expect(dialogs).toBe(0);
    expect(await page.textContent('.answer')).toContain('done.');
  });
});
