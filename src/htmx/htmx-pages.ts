import { escapeHtml } from '../protocol/htmx/html';

export interface HtmxPageOptions {
  /** The id the page's first question will stream under; renewed with every answer. */
  requestId: string;
  pipelines: { name: string; description: string }[];
}

function pipelineOptions(pipelines: HtmxPageOptions['pipelines']): string {
  return pipelines
    .map(
      ({ name, description }) =>
        `<option value="${escapeHtml(name)}" title="${escapeHtml(description)}">${escapeHtml(name)}</option>`,
    )
    .join('');
}

function layout(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/htmx.css">
<link rel="icon" href="data:,">
${head}
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function questionFields(options: HtmxPageOptions): string {
  return `<input type="hidden" name="requestId" id="request-id" value="${escapeHtml(options.requestId)}">
<fieldset id="ask">
<label for="pipeline">Pipeline</label>
<select name="pipeline" id="pipeline">${pipelineOptions(options.pipelines)}</select>
<label for="query">Your question</label>
<textarea name="query" id="query" rows="3" required maxlength="32000"></textarea>
<button type="submit">Ask</button>
</fieldset>`;
}

/**
 * The htmx 4 page: HTML and htmx attributes only. The form posts and the answer streams back as
 * SSE fragments (`hx-sse` extension) into the transcript; the form is disabled until the answer
 * ends (`hx-sse:close="end"` releases the request), and a cut connection is resumed by re-posting
 * with Last-Event-ID, which continues the same generation.
 */
export function renderHtmx4Page(options: HtmxPageOptions): string {
  return layout(
    'llm-stream-gateway · htmx',
    `<script src="/htmx/assets/v4/htmx.min.js"></script>
<script src="/htmx/assets/v4/ext/hx-sse.min.js"></script>`,
    `<h1>Ask, with htmx</h1>
<p class="hint">Every word arrives as an HTML fragment the moment the model makes it. Plain htmx, no script of our own.</p>
<div id="transcript"></div>
<form hx-post="/htmx/chat" hx-target="#transcript" hx-swap="beforeend" hx-sse:close="end"
      hx-config="sse.reconnect:true sse.reconnectDelay:500 sse.reconnectMaxAttempts:10"
      hx-disable="#ask">
${questionFields(options)}
</form>`,
  );
}

/**
 * htmx 2's settings for the page: no inline indicator styles (the CSP forbids them), and refusals
 * (4xx/5xx, which the server renders as HTML for htmx) swapped like answers, which htmx 2 does not
 * do by default.
 */
const HTMX2_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[2345]..', swap: true, error: false },
  ],
});

/**
 * The htmx 2 page, for apps on htmx 2 and `htmx-ext-sse`: the form starts a generation and gets
 * back its turn, whose answer element follows `/htmx/streams/{id}` with an EventSource.
 */
export function renderHtmx2Page(options: HtmxPageOptions): string {
  return layout(
    'llm-stream-gateway · htmx 2',
    `<meta name="htmx-config" content='${HTMX2_CONFIG}'>
<script src="/htmx/assets/v2/htmx.min.js"></script>
<script src="/htmx/assets/v2-sse/sse.min.js"></script>`,
    `<h1>Ask, with htmx 2 and its SSE extension</h1>
<p class="hint">The answer follows <code>/htmx/streams/{id}</code> with an EventSource, which resumes by itself after a cut.</p>
<div id="transcript"></div>
<form hx-post="/htmx/v2/chat" hx-target="#transcript" hx-swap="beforeend">
${questionFields(options)}
</form>`,
  );
}

/** The turn the htmx 2 form gets back: its question, and an answer that follows the stream. */
export function renderHtmx2Turn(turn: {
  requestId: string;
  answerId: string;
  question: string;
  nextRequestId: string;
}): string {
  const id = escapeHtml(turn.requestId);
  return `<article class="turn">
<p class="question">${escapeHtml(turn.question)}</p>
<div class="answer" id="${turn.answerId}" aria-live="polite" hx-ext="sse" sse-connect="/htmx/streams/${encodeURIComponent(turn.requestId)}" sse-swap="fragment" hx-swap="beforeend" sse-close="end"></div>
<button type="button" class="stop" id="${turn.answerId.replace(/^answer-/, 'stop-')}" hx-post="/htmx/stop" hx-vals='${escapeHtml(JSON.stringify({ requestId: turn.requestId }))}' hx-swap="none" data-request-id="${id}">Stop</button>
</article>
<input type="hidden" name="requestId" id="request-id" value="${escapeHtml(turn.nextRequestId)}" hx-swap-oob="true">`;
}
