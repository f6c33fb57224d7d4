/**
 * Splits a byte stream into LF-terminated lines without building strings: each complete line is
 * handed over as (buffer, start, end) with the LF excluded. Only a line cut by a read boundary is
 * copied, into a carry buffer of bounded size (a longer line is dropped up to its end, as the
 * server does with over-long input), so one shared read buffer can serve every socket.
 */
export class LineReader {
  private carry: Buffer | null = null;
  private carryLen = 0;
  private overflow = false;

  constructor(
    private readonly onLine: (buf: Buffer, start: number, end: number) => void,
    private readonly maxLine = 8192,
  ) {}

  feed(buf: Buffer, start: number, end: number): void {
    let pos = start;
    if (this.carryLen > 0 || this.overflow) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= end) {
        this.append(buf, pos, end);
        return;
      }
      this.append(buf, pos, nl);
      if (!this.overflow) this.onLine(this.carry!, 0, this.carryLen);
      this.carryLen = 0;
      this.overflow = false;
      pos = nl + 1;
    }
    while (pos < end) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= end) {
        this.append(buf, pos, end);
        return;
      }
      this.onLine(buf, pos, nl);
      pos = nl + 1;
    }
  }

  private append(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.overflow || this.carryLen + n > this.maxLine) {
      this.overflow = true;
      this.carryLen = 0;
      return;
    }
    if (this.carry === null) this.carry = Buffer.allocUnsafe(this.maxLine);
    buf.copy(this.carry, this.carryLen, start, end);
    this.carryLen += n;
  }
}
