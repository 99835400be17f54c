import DOMPurify from 'dompurify';
import { marked } from 'marked';

/**
 * Model output is untrusted: it is rendered as markdown and then sanitised, so `<script>`,
 * `onerror=` handlers and `javascript:` links never run.
 */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}
