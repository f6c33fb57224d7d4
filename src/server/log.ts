import type { LogFields, Logger } from '../core/log.js';

export interface LogOptions {
  format: 'text' | 'json';
  quiet: boolean;
  messages: boolean;
  /** Where lines go; process.stdout by default. */
  out?: NodeJS.WritableStream;
}

/** Most bytes of log text held while the output is slow; past it, lines are counted and dropped. */
const MAX_PENDING = 1 << 20;

/**
 * Buffered logger: lines of one event-loop turn are written together, so logging never costs a
 * write per event on the hot path. If the output cannot keep up, lines are dropped and counted
 * (a `[LOG] N lines dropped` line says so) instead of growing memory without bound.
 */
export class ServerLogger implements Logger {
  private pending: string[] = [];
  private pendingBytes = 0;
  private lost = 0;
  private scheduled = false;
  private readonly out: NodeJS.WritableStream;

  constructor(private readonly opts: LogOptions) {
    this.out = opts.out ?? process.stdout;
  }

  event(tag: string, text: string, fields?: LogFields): void {
    if (!this.opts.quiet) this.line(tag, text, fields);
  }

  message(tag: string, text: string, fields?: LogFields): void {
    if (!this.opts.quiet && this.opts.messages) this.line(tag, text, fields);
  }

  error(tag: string, text: string, fields?: LogFields): void {
    this.line(tag, text, fields);
  }

  /** Writes a plain line (banner) at once, whatever --quiet says. */
  banner(text: string): void {
    this.flush();
    this.out.write(this.opts.format === 'json' ? `${JSON.stringify({ time: new Date().toISOString(), event: 'BANNER', msg: text })}\n` : `${text}\n`);
  }

  flush(): void {
    this.scheduled = false;
    if (this.lost > 0) {
      this.pending.push(this.format('LOG', `${this.lost} lines dropped (log output too slow)`, { dropped: this.lost }));
      this.lost = 0;
    }
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    this.out.write(text);
  }

  private line(tag: string, text: string, fields?: LogFields): void {
    if (this.pendingBytes > MAX_PENDING) {
      this.lost++;
      return;
    }
    const s = this.format(tag, text, fields);
    this.pending.push(s);
    this.pendingBytes += s.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private format(tag: string, text: string, fields?: LogFields): string {
    if (this.opts.format === 'json') return `${JSON.stringify({ time: new Date().toISOString(), event: tag, msg: text, ...fields })}\n`;
    return `[${tag}] ${text}\n`;
  }
}
