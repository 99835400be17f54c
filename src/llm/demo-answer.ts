const MAX_QUOTED_CHARS = 120;

function quote(question: string): string {
  const oneLine = question.replace(/\s+/g, ' ').trim();
  if (oneLine.length <= MAX_QUOTED_CHARS) return oneLine;
  return `${oneLine.slice(0, MAX_QUOTED_CHARS - 1)}…`;
}

/** The demo model's answer: readable, about the question, and honest about what it is. */
export function composeDemoAnswer(question: string): string {
  const topic = quote(question) || 'nothing in particular';
  return [
    `You asked: **“${topic}”**.`,
    '',
    'I am the built-in **demo model** of llm-stream-gateway, so I cannot really answer that.',
    'Every word you are reading left the server as its own server-sent event the moment I',
    'produced it, just as a real model’s tokens would.',
    '',
    '- Press **Stop** (or send `DELETE /api/chat/streams/<id>`) to cancel me mid-sentence.',
    '- Set `OPENAI_API_KEY`, or point `OPENAI_BASE_URL` at any OpenAI-compatible server, to talk',
    '  to a real model instead.',
  ].join('\n');
}

/** Splits text into word-sized tokens, each keeping its trailing whitespace, as models do. */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\S+\s*|\s+/gu) ?? [];
}
