/** What a PingTimer drives: the protocol's own ping and its own way of closing a silent peer. */
export interface PingPeer {
  /** Still worth checking (not closed, not shutting down). */
  active(): boolean;
  /** Sends the protocol's ping (a WebSocket ping frame, an IRC `PING`). */
  ping(): void;
  /** Silent for a whole interval after a ping: close it (PING_TIMEOUT). */
  silent(): void;
}

/**
 * Application-level keepalive for protocols that have pings (WebSocket, IRC): a peer silent for one
 * interval is pinged, and one still silent an interval later is closed. Any input counts as an
 * answer, so a chatty client is never pinged. One unref'd timer per connection, cheap to feed
 * (`heard` stores a flag).
 */
export class PingTimer {
  private timer: NodeJS.Timeout | undefined;
  private heardSince = true;
  private pinged = false;

  constructor(
    private readonly intervalMs: number,
    private readonly peer: PingPeer,
  ) {
    this.schedule();
  }

  /** Input arrived. */
  heard(): void {
    this.heardSince = true;
  }

  /** One check: the timer's, or a test's. */
  check(): void {
    this.timer = undefined;
    if (!this.peer.active()) return;
    if (!this.heardSince && this.pinged) return this.peer.silent();
    this.pinged = !this.heardSince;
    if (this.pinged) this.peer.ping();
    this.heardSince = false;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(onTimer, this.intervalMs, this);
    this.timer.unref();
  }
}

function onTimer(t: PingTimer): void {
  t.check();
}
