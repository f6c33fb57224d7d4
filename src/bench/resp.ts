/**
 * A minimal RESP2/RESP3 encoder and a streaming, allocation-free reader: enough to drive Redis
 * pub/sub for the comparison target without a Redis package. The reader is event-based: it reports
 * scalars as byte ranges and aggregates as headers, so a million pushes a second cost no objects.
 */

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return Buffer.from(out, 'utf8');
}

export interface RespHandler {
  /** A bulk string (`$`, or RESP3 `=` / `!`); the range excludes the trailing CRLF. Null bulks are not reported. */
  bulk(buf: Buffer, start: number, end: number): void;
  /** A line-typed scalar (`+ - : _ , # (`), `type` is its first byte; the range is its text. */
  line(type: number, buf: Buffer, start: number, end: number): void;
  /** An aggregate header (`* > % ~ |`) with its element count (maps and attributes count pairs). */
  aggregate(type: number, count: number): void;
}

const enum State { Type, Header, Line, Bulk, BulkCr, BulkLf }

const CR = 0x0d;
const LF = 0x0a;

export class RespReader {
  private state = State.Type;
  private type = 0;
  private num = 0;
  private neg = false;
  private remaining = 0;
  /** Holds a scalar cut by a read boundary; values here are short (our payloads < 100 bytes). */
  private carry: Buffer = Buffer.allocUnsafe(256);
  private carryLen = 0;

  constructor(private readonly h: RespHandler) {}

  feed(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end) {
      if (this.state === State.Type) {
        const j = this.fastBulk(buf, i, end);
        if (j !== i) { i = j; continue; }
      }
      switch (this.state) {
        case State.Type: {
          const t = buf[i++]!;
          this.type = t;
          this.num = 0;
          this.neg = false;
          this.carryLen = 0;
          // `*` array, `>` push, `%` map, `~` set, `|` attribute, `$ = !` bulk-like: a length header follows.
          if (t === 0x2a || t === 0x3e || t === 0x25 || t === 0x7e || t === 0x7c || t === 0x24 || t === 0x3d || t === 0x21) {
            this.state = State.Header;
          } else if (t === CR || t === LF) {
            this.state = State.Type;
          } else {
            this.state = State.Line;
          }
          break;
        }
        case State.Header: {
          const c = buf[i++]!;
          if (c >= 0x30 && c <= 0x39) this.num = this.num * 10 + (c - 0x30);
          else if (c === 0x2d) this.neg = true;
          else if (c === LF) this.endHeader();
          break;
        }
        case State.Line: {
          let j = buf.indexOf(LF, i);
          if (j < 0 || j >= end) {
            this.keep(buf, i, end);
            i = end;
            break;
          }
          const stop = j > i && buf[j - 1] === CR ? j - 1 : j;
          if (this.carryLen > 0) {
            this.keep(buf, i, j);
            const e = this.carryLen > 0 && this.carry[this.carryLen - 1] === CR ? this.carryLen - 1 : this.carryLen;
            this.h.line(this.type, this.carry, 0, e);
          } else {
            this.h.line(this.type, buf, i, stop);
          }
          i = j + 1;
          this.state = State.Type;
          break;
        }
        case State.Bulk: {
          const avail = end - i;
          if (this.carryLen === 0 && avail >= this.remaining) {
            this.h.bulk(buf, i, i + this.remaining);
            i += this.remaining;
            this.state = State.BulkCr;
          } else {
            const take = Math.min(avail, this.remaining);
            this.keep(buf, i, i + take);
            i += take;
            this.remaining -= take;
            if (this.remaining === 0) {
              this.h.bulk(this.carry, 0, this.carryLen);
              this.state = State.BulkCr;
            }
          }
          break;
        }
        case State.BulkCr:
          i++;
          this.state = State.BulkLf;
          break;
        case State.BulkLf:
          i++;
          this.state = State.Type;
          break;
      }
    }
  }

  /**
   * Fast path for the common case, an element wholly inside this read: an aggregate header or a
   * complete bulk string is consumed in one tight loop. Returns `i` unchanged when the element is
   * of another type or cut by the read boundary; the state machine then takes over.
   */
  private fastBulk(buf: Buffer, i: number, end: number): number {
    const t = buf[i]!;
    const bulk = t === 0x24;
    if (!bulk && t !== 0x3e && t !== 0x2a) return i;
    let n = 0;
    let k = i + 1;
    for (; k < end; k++) {
      const c = buf[k]!;
      if (c === CR) break;
      if (c < 0x30 || c > 0x39) return i;
      n = n * 10 + (c - 0x30);
    }
    if (k + 1 >= end) return i;
    k += 2;
    if (!bulk) {
      this.h.aggregate(t, n);
      return k;
    }
    if (k + n + 2 > end) return i;
    this.h.bulk(buf, k, k + n);
    return k + n + 2;
  }

  private endHeader(): void {
    const n = this.neg ? -this.num : this.num;
    const t = this.type;
    if (t === 0x24 || t === 0x3d || t === 0x21) {
      if (n < 0) {
        this.state = State.Type;
        return;
      }
      this.remaining = n;
      this.carryLen = 0;
      this.state = n === 0 ? State.BulkCr : State.Bulk;
      if (n === 0) this.h.bulk(this.carry, 0, 0);
      return;
    }
    this.h.aggregate(t, n);
    this.state = State.Type;
  }

  private keep(buf: Buffer, start: number, end: number): void {
    const need = this.carryLen + (end - start);
    if (need > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    buf.copy(this.carry, this.carryLen, start, end);
    this.carryLen = need;
  }
}
