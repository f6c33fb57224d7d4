import type { ChatEvent, Renderer } from './events.js';

/** Who a batch is delivered to: the room's members at flush time. */
export interface BatchRecipient {
  readonly renderer: Renderer;
}

/**
 * The join/leave notices of one room that have not been sent yet.
 *
 * Why: a notice costs one write per member. Sent one by one, a crowd of N arriving costs N² writes
 * (1,000 logins took 4 s); collected for a few milliseconds and sent as one chunk, it costs one write
 * per member per batch. The hub owns the batches and decides when they go (see Hub.flushNotices).
 *
 * What each member receives is exactly what they would have received unbatched, in the same order:
 * a member who was in the room before the batch began gets all of it (the same Buffer for all of
 * them, rendered once per protocol); a member who entered during the batch gets only the notices
 * after their own arrival (a view into that Buffer, never a copy), so never their own join notice
 * nor notices from before they came in.
 */
export class NoticeBatch {
  private readonly events: ChatEvent[] = [];
  /** Members who entered while this batch was open: index of the first notice they may see. */
  private readonly late = new Map<BatchRecipient, number>();
  /** Rendered bytes and the offset of each notice in them, per protocol; built at flush. */
  private renders: Map<Renderer, { bytes: Buffer; offsets: number[] }> | undefined;

  get size(): number {
    return this.events.length;
  }

  add(event: ChatEvent): void {
    this.events.push(event);
  }

  /** `member` entered the room now: they see only notices added after this call. */
  entered(member: BatchRecipient): void {
    this.late.set(member, this.events.length);
  }

  /** How many of the batch's notices are for `member` (0: none). */
  countFor(member: BatchRecipient): number {
    return this.events.length - (this.late.get(member) ?? 0);
  }

  /** The bytes `member` should get from this batch; call only when countFor(member) > 0. */
  bytesFor(member: BatchRecipient): Buffer {
    const r = this.render(member.renderer);
    const start = this.late.get(member) ?? 0;
    return start === 0 ? r.bytes : r.bytes.subarray(r.offsets[start]);
  }

  private render(renderer: Renderer): { bytes: Buffer; offsets: number[] } {
    let r = this.renders?.get(renderer);
    if (r !== undefined) return r;
    const parts = this.events.map((e) => renderer.render(e));
    const offsets: number[] = [];
    let at = 0;
    for (const p of parts) {
      offsets.push(at);
      at += p.length;
    }
    r = { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, at), offsets };
    (this.renders ??= new Map()).set(renderer, r);
    return r;
  }
}
