const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML that is only ever text: model output, tool output, questions. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/**
 * A request id as a fragment of an HTML id that is also a plain CSS selector: request ids may
 * hold "." and ":", which a `#selector` would read as a class or a pseudo-class.
 */
export function htmlIdPart(requestId: string): string {
  return requestId.replace(/[^A-Za-z0-9_-]/g, (char) => `_${char.charCodeAt(0).toString(16)}`);
}
