import { AbstractChat, type ChatInit, type ChatState, type ChatStatus, type UIMessage } from 'ai';

/** Plain-object chat state, as the SDK's framework bindings keep it (minus the reactivity). */
class NodeChatState implements ChatState<UIMessage> {
  error: Error | undefined = undefined;
  /** Every status the chat went through, in order: what a UI would have shown. */
  readonly statuses: ChatStatus[] = ['ready'];
  private current: ChatStatus = 'ready';

  constructor(public messages: UIMessage[]) {}

  get status(): ChatStatus {
    return this.current;
  }

  set status(status: ChatStatus) {
    this.current = status;
    this.statuses.push(status);
  }

  pushMessage = (message: UIMessage): void => {
    this.messages = [...this.messages, message];
  };

  popMessage = (): void => {
    this.messages = this.messages.slice(0, -1);
  };

  replaceMessage = (index: number, message: UIMessage): void => {
    this.messages = [
      ...this.messages.slice(0, index),
      // The SDK mutates the message it streams into; a UI keeps a copy per render.
      this.snapshot(message),
      ...this.messages.slice(index + 1),
    ];
  };

  snapshot = <T>(thing: T): T => structuredClone(thing);
}

/**
 * The AI SDK's `Chat` in Node: `AbstractChat` (what useChat, Svelte's and Vue's Chat build on)
 * over a plain state, so a test drives the same flow a browser does: sendMessage, stop,
 * resumeStream, status and error.
 */
export class NodeChat extends AbstractChat<UIMessage> {
  private readonly nodeState: NodeChatState;

  constructor(init: ChatInit<UIMessage>) {
    const state = new NodeChatState(init.messages ?? []);
    super({ ...init, state });
    this.nodeState = state;
  }

  /** Every status the chat went through, in order. */
  get statuses(): readonly ChatStatus[] {
    return this.nodeState.statuses;
  }
}
