/** One tool call the fake upstream streams, as a tool-calling OpenAI model does. */
export interface FakeToolCall {
  /** The call's id (`call_…`); the client sends it back as the tool message's `tool_call_id`. */
  id: string;
  /** The function's name; need not be a tool the client has (an unknown tool is a test too). */
  name: string;
  /**
   * The `function.arguments` text, one chunk per element, as OpenAI splits it. Joined, it is
   * normally JSON; anything else is a malformed call, which a client must survive.
   */
  argumentFragments: string[];
}

/** The `delta` of a chat-completion chunk carrying tool-call pieces. */
export interface ToolCallDelta {
  role?: 'assistant';
  content?: null;
  refusal?: null;
  tool_calls: {
    index: number;
    id?: string;
    type?: 'function';
    function: { name?: string; arguments: string };
  }[];
}

/**
 * The deltas OpenAI streams for `calls`, in order: per call, a first delta with `index`, `id`,
 * `type: "function"`, `function.name` and empty `arguments`, then one delta per argument
 * fragment carrying only `index` and `function.arguments`. When the response has no text,
 * the first delta also opens the message (`role`, `content: null`, `refusal: null`), as
 * OpenAI does for a tool-call-only answer.
 */
export function toolCallDeltas(
  calls: readonly FakeToolCall[],
  opensMessage: boolean,
): ToolCallDelta[] {
  const deltas: ToolCallDelta[] = [];
  calls.forEach((call, index) => {
    const opening: ToolCallDelta = {
      tool_calls: [
        { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
      ],
    };
    deltas.push(
      opensMessage && index === 0
        ? { role: 'assistant', content: null, ...opening, refusal: null }
        : opening,
    );
    for (const fragment of call.argumentFragments) {
      deltas.push({ tool_calls: [{ index, function: { arguments: fragment } }] });
    }
  });
  return deltas;
}

/** A tool call whose arguments are `args` as JSON, streamed in `pieces` fragments. */
export function jsonToolCall(
  id: string,
  name: string,
  args: Record<string, unknown>,
  pieces = 2,
): FakeToolCall {
  const text = JSON.stringify(args);
  const size = Math.ceil(text.length / pieces);
  const argumentFragments = Array.from({ length: pieces }, (_, index) =>
    text.slice(index * size, (index + 1) * size),
  ).filter((fragment) => fragment.length > 0);
  return { id, name, argumentFragments };
}
