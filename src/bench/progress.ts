/**
 * Live progress: one line on stderr, rewritten in place, only when stderr is a terminal (never in
 * logs, pipes or CI). Updates are throttled so a tight loop cannot flood the terminal.
 */
export class Progress {
  private readonly enabled: boolean;
  private last = 0;
  private shown = false;

  constructor(enabled: boolean = process.stderr.isTTY === true) {
    this.enabled = enabled;
  }

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = (process.stderr.columns ?? 100) - 1;
    process.stderr.write(`\r${text.slice(0, width)}\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (this.enabled && this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
