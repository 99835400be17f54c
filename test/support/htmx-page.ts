import type { Page } from 'playwright-core';

/** The two htmx pages: htmx 4 + hx-sse (`/htmx`), htmx 2 + htmx-ext-sse (`/htmx/v2`). */
export type HtmxPageKind = 'htmx 4' | 'htmx 2';

export const HTMX_PAGE_PATHS: Record<HtmxPageKind, string> = {
  'htmx 4': '/htmx',
  'htmx 2': '/htmx/v2',
};

/** The answer's text as the user sees it change: when (page clock, ms) and what. */
export interface TextSample {
  at: number;
  text: string;
}

interface TimelineWindow {
  __answerTimeline?: TextSample[];
}

/**
 * Drives one of the htmx pages the way a user does (type, click) and reads what the user sees.
 * Turns are found by the request id the page's form held when the question was asked; the
 * answer's text is that of its token spans (direct `<span>` children), without the usage line
 * or notes.
 */
export class HtmxPageDriver {
  constructor(
    readonly page: Page,
    readonly kind: HtmxPageKind,
  ) {}

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}${HTMX_PAGE_PATHS[this.kind]}`);
    await this.page.waitForFunction(() => 'htmx' in window);
  }

  requestIdInForm(): Promise<string> {
    return this.page.inputValue('#request-id');
  }

  /**
   * Types the question and clicks Ask; returns the request id the turn streams under. Starts
   * recording the answer's text first, so not even the first fragment is missed.
   */
  async ask(question: string, pipeline = 'chat'): Promise<string> {
    const requestId = await this.requestIdInForm();
    await this.recordAnswer(requestId);
    await this.page.selectOption('#pipeline', pipeline);
    await this.page.fill('#query', question);
    await this.page.click('#ask button[type="submit"]');
    return requestId;
  }

  answerSelector(requestId: string): string {
    return `#answer-${requestId}`;
  }

  answerText(requestId: string): Promise<string> {
    return this.page.$eval(this.answerSelector(requestId), answerTokens);
  }

  waitForAnswerLength(requestId: string, length: number): Promise<unknown> {
    return this.page.waitForFunction(
      ({ selector, length: wanted }) => {
        const answer = document.querySelector(selector);
        const text = Array.from(answer?.children ?? [])
          .filter((child) => child.tagName === 'SPAN')
          .map((child) => child.textContent ?? '')
          .join('');
        return text.length >= wanted;
      },
      { selector: this.answerSelector(requestId), length },
    );
  }

  /** The end fragment replaces the turn's Stop button with an empty span. */
  async waitUntilDone(requestId: string, timeout = 20_000): Promise<void> {
    await this.page.waitForSelector(`span#stop-${requestId}`, { state: 'attached', timeout });
    if (this.kind === 'htmx 4') {
      // hx-disable releases the form once the request is over (the end event closed it).
      await this.page.waitForSelector('#ask:not([disabled])', { timeout });
    }
  }

  /**
   * A screenshot, then the empty `style` attributes Playwright leaves on the page removed: htmx
   * 2 copies an old element's `style` onto its swapped-in successor, which the page's CSP blocks
   * (a console error the page would never have had without the screenshot).
   */
  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path, fullPage: true });
    await this.page.evaluate(() => {
      for (const element of Array.from(document.querySelectorAll('[style=""]'))) {
        element.removeAttribute('style');
      }
    });
  }

  formDisabled(): Promise<boolean> {
    return this.page.$eval('#ask', (fieldset) => (fieldset as HTMLFieldSetElement).disabled);
  }

  /** Every change of the answer's text seen so far, in order. */
  timeline(): Promise<TextSample[]> {
    return this.page.evaluate(() => (window as TimelineWindow).__answerTimeline ?? []);
  }

  /** Records the answer's text after every DOM change (a MutationObserver runs before paint). */
  private recordAnswer(requestId: string): Promise<void> {
    return this.page.evaluate((selector) => {
      const timeline: TextSample[] = [];
      (window as TimelineWindow).__answerTimeline = timeline;
      const transcript = document.getElementById('transcript') as HTMLElement;
      new MutationObserver(() => {
        const answer = document.querySelector(selector);
        if (!answer) return;
        const text = Array.from(answer.children)
          .filter((child) => child.tagName === 'SPAN')
          .map((child) => child.textContent ?? '')
          .join('');
        if (timeline.at(-1)?.text !== text) timeline.push({ at: performance.now(), text });
      }).observe(transcript, { childList: true, subtree: true, characterData: true });
    }, this.answerSelector(requestId));
  }
}

/** The text of an answer's token spans (runs in the page). */
function answerTokens(answer: Element): string {
  return Array.from(answer.children)
    .filter((child) => child.tagName === 'SPAN')
    .map((child) => child.textContent ?? '')
    .join('');
}
