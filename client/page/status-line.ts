/** The line under the transcript: progress, stats, and the reconnecting notice. */
export class StatusLine {
  constructor(private readonly element: HTMLElement) {}

  set(text: string, kind = ''): void {
    this.element.textContent = text;
    this.element.className = `status ${kind}`;
  }

  /** Progress of the answer; a reconnect notice stays until the connection is back. */
  progress(text: string): void {
    if (!this.element.classList.contains('reconnecting')) this.set(text);
  }
}
