import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WsFrameWriter } from './ws-frame-writer.js';
import { WS_OP } from './ws-frame-reader.js';
import { wsHandshake } from './ws-handshake.js';

/**
 * The attacks of `chat-server bench hostile` (and of the hostile soak test): each kind is one
 * connection's misbehaviour, repeated on a fresh connection whenever the server closes the last,
 * at the highest rate the attacker's process can write, until a deadline. Run inside an attacker
 * process (hostile-worker.ts), never inside the process that measures.
 *
 * Contract:
 * - Traffic goes only to the loopback endpoints given, from loopback source addresses.
 * - Bounded: `conns` connections per kind at a time (`slowSockets` for http-headers), nothing after
 *   the deadline; `stop()` destroys every socket.
 * - An attacker never needs an answer: the kinds that never read pause their socket at once; the
 *   others read and discard. "Logged in" kinds log in as guests (any password for a name not in the
 *   server's users file) and start their abuse in the same write.
 */

export interface Addr {
  readonly host: string;
  readonly port: number;
}

export interface HostileEndpoints {
  readonly text: Addr;
  readonly irc: Addr;
  /** The web listener: the page, /ws (JSON, or IRC with the text.ircv3.net subprotocol). */
  readonly web: Addr;
}

export type AttackGroup = 'text' | 'irc' | 'ws' | 'http';

/** Every kind, its group (for `--attacks text,ws`) and what it does (for --help and the report). */
export const ATTACK_KINDS = {
  'text-random': { group: 'text', what: 'random bytes, never reads' },
  'text-endless': { group: 'text', what: 'one line that never ends, never reads' },
  'text-bytes': { group: 'text', what: 'lines written one byte per write (4 KiB+ usernames)' },
  'text-escapes': { group: 'text', what: 'logged in, never reads: chat lines of escape sequences, controls and broken UTF-8' },
  'text-logins': { group: 'text', what: 'wrong passwords for a registered name, a connection each' },
  'text-resets': { group: 'text', what: 'connect, half a login, reset (RST)' },
  'text-who': { group: 'text', what: 'logged in, never reads: /who' },
  'text-junk': { group: 'text', what: 'logged in, never reads: unknown commands, messages to nobody' },
  'irc-random': { group: 'irc', what: 'random bytes, never reads' },
  'irc-endless': { group: 'irc', what: 'one line that never ends, never reads' },
  'irc-bytes': { group: 'irc', what: 'PING lines written one byte per write, before registration' },
  'irc-logins': { group: 'irc', what: 'PASS with wrong passwords for a registered nick' },
  'irc-resets': { group: 'irc', what: 'connect, half a registration, reset' },
  'irc-who': { group: 'irc', what: 'registered, never reads: WHO *' },
  'irc-junk': { group: 'irc', what: 'not registered, never reads: unknown commands' },
  'ws-fragments': { group: 'ws', what: 'a message begun and never finished: empty continuation frames (half logged in)' },
  'ws-tiny': { group: 'ws', what: 'logged in, never reads: messages in 1-byte fragments' },
  'ws-junk': { group: 'ws', what: 'not logged in, never reads: frames that are not JSON' },
  'ws-logins': { group: 'ws', what: 'login frames with wrong passwords' },
  'ws-resets': { group: 'ws', what: 'upgrade, then reset' },
  'ws-who': { group: 'ws', what: 'logged in, never reads: /who through the message box' },
  'wsirc-fragments': { group: 'ws', what: 'IRC over WebSocket: empty continuation frames (half registered)' },
  'wsirc-junk': { group: 'ws', what: 'IRC over WebSocket, not registered, never reads: unknown commands' },
  'wsirc-logins': { group: 'ws', what: 'IRC over WebSocket: PASS with wrong passwords' },
  'http-headers': { group: 'http', what: 'requests whose headers never end (a header line a second)' },
  'http-resets': { group: 'http', what: 'half a request, then reset' },
  'http-junk': { group: 'http', what: 'random bytes to the web port' },
} as const satisfies Record<string, { group: AttackGroup; what: string }>;

export type AttackKind = keyof typeof ATTACK_KINDS;
export const ALL_KINDS = Object.keys(ATTACK_KINDS) as AttackKind[];
const GROUPS: readonly string[] = ['text', 'irc', 'ws', 'http'];

/**
 * `all`, `none` (the baseline: probes and chat only), groups (text, irc, ws, http) and kind names,
 * comma-separated; `unknown` names what is not one of these.
 */
export function parseAttacks(spec: string): { kinds: AttackKind[] } | { unknown: string } {
  const out = new Set<AttackKind>();
  for (const item of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (item === 'none') continue;
    if (item === 'all') ALL_KINDS.forEach((k) => out.add(k));
    else if (GROUPS.includes(item)) ALL_KINDS.filter((k) => ATTACK_KINDS[k].group === item).forEach((k) => out.add(k));
    else if (item in ATTACK_KINDS) out.add(item as AttackKind);
    else return { unknown: item };
  }
  return { kinds: [...out] };
}

/** What one kind did, summed over its connections. */
export interface AttackStats {
  connections: number;
  bytes: number;
  /** Input units written: lines, frames, requests, login attempts, resets. */
  units: number;
}

export interface AttackPlan {
  readonly endpoints: HostileEndpoints;
  /** Date.now() at which everything stops. */
  readonly deadline: number;
  /** Loopback source addresses, used in turn (each has its own --max-per-ip and login throttle). */
  readonly addresses: readonly string[];
  /** A registered name the wrong-password kinds guess at. */
  readonly victim: string;
  /** Guest names are this plus a number (unique per attacker process). */
  readonly namePrefix: string;
  /** Connections per kind at a time. */
  readonly conns: number;
  /** Sockets http-headers keeps open at a time (the attack is their number, not their rate). */
  readonly slowSockets: number;
}

const RANDOM_POOL = randomBytes(1 << 20);
const CHUNK = 16 * 1024;
/** Lines per flooded chunk of a line attack: big enough to keep the socket full, small to build. */
const REPEAT = 64;
const ENDLESS = Buffer.alloc(CHUNK, 0x61);
/** Chat lines a terminal would act on, and UTF-8 no decoder accepts. */
const ESCAPES = ['\x1b[2J\x1b[H\x1b[31mred', '\x1b]0;title\x07osc', '\x1bP+q\x1b\\dcs', '\x9b31mc1', 'nul\x00bs\x08del\x7f', 'cr\rinside'];
const BROKEN_UTF8 = Buffer.from([0xc3, 0x28, 0x20, 0xff, 0xfe, 0x20, 0xe2, 0x82, 0x20, 0xf0, 0x9f, 0x98, 0x20, 0xed, 0xa0, 0x80, 0x0a]);

/** `n` copies of `unit` as one buffer, and how many units that is. */
function repeated(unit: string | Buffer, n = REPEAT): { buf: Buffer; units: number } {
  const one = typeof unit === 'string' ? Buffer.from(unit, 'utf8') : unit;
  return { buf: Buffer.concat(Array.from({ length: n }, () => one)), units: n };
}

export class Attacker {
  readonly stats = new Map<AttackKind, AttackStats>();
  private readonly live = new Set<Socket>();
  private readonly slow = new Set<Socket>();
  private nextAddress = 0;
  private names = 0;
  private stopped = false;
  private readonly writer = new WsFrameWriter();
  private readonly trickle: NodeJS.Timeout;
  private readonly stopTimer: NodeJS.Timeout;

  constructor(private readonly plan: AttackPlan) {
    this.trickle = setInterval(() => {
      for (const s of this.slow) s.write('X-Slow: 1\r\n');
    }, 1000);
    this.stopTimer = setTimeout(() => this.stop(), Math.max(0, plan.deadline - Date.now()));
  }

  /** Runs `kinds` until the deadline; resolves once every connection is closed. */
  async run(kinds: readonly AttackKind[]): Promise<void> {
    const loops: Array<Promise<void>> = [];
    for (const kind of kinds) {
      this.stats.set(kind, { connections: 0, bytes: 0, units: 0 });
      const n = kind === 'http-headers' ? this.plan.slowSockets : this.plan.conns;
      for (let i = 0; i < n; i++) loops.push(this.loop(kind, i));
    }
    await Promise.all(loops);
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.trickle);
    clearTimeout(this.stopTimer);
    for (const s of this.live) s.destroy();
  }

  private get going(): boolean {
    return !this.stopped && Date.now() < this.plan.deadline;
  }

  private async loop(kind: AttackKind, i: number): Promise<void> {
    while (this.going) {
      await this.once(kind, i);
      // Let the other connections of this process write too, however fast the server closes ours.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** One connection of `kind`; resolves when it is closed. */
  private once(kind: AttackKind, i: number): Promise<void> {
    const { text, irc, web } = this.plan.endpoints;
    const guest = (): string => `${this.plan.namePrefix}${++this.names}`;
    const victim = this.plan.victim;
    switch (kind) {
      case 'text-random': return this.flood(kind, text, false, null, () => this.random());
      case 'text-endless': return this.flood(kind, text, false, null, () => ({ buf: ENDLESS, units: 0 }));
      case 'text-bytes': return this.bytewise(kind, text, `${'a'.repeat(4100)}\n`);
      case 'text-escapes': {
        const lines = repeated(Buffer.concat([Buffer.from(`${ESCAPES.join('\n')}\n`, 'latin1'), BROKEN_UTF8]), 16);
        return this.flood(kind, text, false, Buffer.from(`${guest()}\nx\n`), () => ({ buf: lines.buf, units: lines.units * (ESCAPES.length + 1) }));
      }
      case 'text-logins': return this.oneShot(kind, text, Buffer.from(`${victim}\nwrong-${i}-${this.names++}\n`));
      case 'text-resets': return this.reset(kind, text, Buffer.from(`${victim}\n`));
      case 'text-who': {
        const who = repeated('/who\n');
        return this.flood(kind, text, false, Buffer.from(`${guest()}\nx\n`), () => who);
      }
      case 'text-junk': {
        const junk = repeated('/nonsense now\n@nobody_here hello\n/join\n', REPEAT / 4);
        return this.flood(kind, text, false, Buffer.from(`${guest()}\nx\n`), () => ({ buf: junk.buf, units: junk.units * 3 }));
      }
      case 'irc-random': return this.flood(kind, irc, false, null, () => this.random());
      case 'irc-endless': return this.flood(kind, irc, false, null, () => ({ buf: ENDLESS, units: 0 }));
      case 'irc-bytes': return this.bytewise(kind, irc, `PING :${'p'.repeat(400)}\r\n`);
      case 'irc-logins': return this.oneShot(kind, irc, Buffer.from(`PASS wrong-${i}-${this.names++}\r\nNICK ${victim}\r\nUSER v 0 * :v\r\n`));
      case 'irc-resets': return this.reset(kind, irc, Buffer.from(`NICK ${victim}\r\n`));
      case 'irc-who': {
        const who = repeated('WHO *\r\n');
        const name = guest();
        return this.flood(kind, irc, false, Buffer.from(`NICK ${name}\r\nUSER ${name} 0 * :${name}\r\n`), () => who);
      }
      case 'irc-junk': {
        const junk = repeated('FOO bar baz\r\n');
        return this.flood(kind, irc, false, null, () => junk);
      }
      case 'ws-fragments':
      case 'wsirc-fragments': {
        const irc = kind === 'wsirc-fragments';
        // Half the connections log in first: a logged-in user has no login timeout to stop it.
        const login = i % 2 === 1 ? this.wsLogin(irc, guest()) : [];
        const empties = repeated(this.writer.fragment(WS_OP.continuation, Buffer.alloc(0), false), 1024);
        const start = this.writer.fragment(WS_OP.text, Buffer.alloc(0), false);
        return this.flood(kind, web, false, Buffer.concat([this.upgrade(irc), ...login, start]), () => empties);
      }
      case 'ws-tiny': {
        const message = Buffer.from(`{"type":"stats"}${' '.repeat(1000)}`);
        const frames = Buffer.concat([...message].map((b, k) => this.writer.fragment(k === 0 ? WS_OP.text : WS_OP.continuation, Buffer.from([b]), k === message.length - 1)));
        return this.flood(kind, web, false, Buffer.concat([this.upgrade(false), ...this.wsLogin(false, guest())]), () => ({ buf: frames, units: message.length }));
      }
      case 'ws-junk': {
        const junk = repeated(this.writer.text('1'), 1024);
        return this.flood(kind, web, false, this.upgrade(false), () => junk);
      }
      case 'ws-logins':
        return this.oneShot(kind, web, Buffer.concat([this.upgrade(false), this.writer.text(JSON.stringify({ type: 'login', user: victim, password: `wrong-${i}-${this.names++}` }))]));
      case 'wsirc-logins':
        return this.oneShot(kind, web, Buffer.concat([this.upgrade(true), ...[`PASS wrong-${i}-${this.names++}`, `NICK ${victim}`, 'USER v 0 * :v'].map((l) => this.writer.text(l))]));
      case 'ws-resets': return this.reset(kind, web, this.upgrade(false));
      case 'ws-who': {
        const who = repeated(this.writer.text(JSON.stringify({ type: 'command', room: 'lobby', line: '/who' })));
        return this.flood(kind, web, false, Buffer.concat([this.upgrade(false), ...this.wsLogin(false, guest())]), () => who);
      }
      case 'wsirc-junk': {
        const junk = repeated(this.writer.text('FOO bar baz'), 256);
        return this.flood(kind, web, false, this.upgrade(true), () => junk);
      }
      case 'http-headers': return this.slowHeaders(kind, web);
      case 'http-resets': return this.reset(kind, web, Buffer.from(`GET / HTTP/1.1\r\nHost: ${web.host}:${web.port}\r\nX-`));
      case 'http-junk': return this.flood(kind, web, true, null, () => this.random());
    }
  }

  private random(): { buf: Buffer; units: number } {
    const at = Math.floor(Math.random() * (RANDOM_POOL.length - CHUNK));
    return { buf: RANDOM_POOL.subarray(at, at + CHUNK), units: 0 };
  }

  private open(kind: AttackKind, to: Addr): Socket {
    const addresses = this.plan.addresses;
    const localAddress = addresses[this.nextAddress++ % addresses.length];
    const s = connect({ host: to.host, port: to.port, localAddress, noDelay: true });
    s.on('error', ignore);
    this.live.add(s);
    s.once('close', () => this.live.delete(s));
    this.stats.get(kind)!.connections++;
    return s;
  }

  private count(kind: AttackKind, bytes: number, units: number): void {
    const st = this.stats.get(kind)!;
    st.bytes += bytes;
    st.units += units;
  }

  /**
   * Writes `first` (a login, an upgrade) and then `next()` chunks as fast as the socket takes them,
   * until the server closes it or the deadline; `reads`: read and discard (else never read).
   */
  private flood(kind: AttackKind, to: Addr, reads: boolean, first: Buffer | null, next: () => { buf: Buffer; units: number }): Promise<void> {
    const s = this.open(kind, to);
    if (reads) s.resume();
    else s.pause();
    const pump = (): void => {
      // A bounded burst per turn, then the other connections of this process get theirs.
      for (let k = 0; k < 16; k++) {
        if (s.destroyed || !this.going) return;
        const { buf, units } = next();
        this.count(kind, buf.length, units);
        if (!s.write(buf)) {
          s.once('drain', pump);
          return;
        }
      }
      setImmediate(pump);
    };
    s.once('connect', () => {
      if (first !== null) {
        this.count(kind, first.length, 1);
        s.write(first);
      }
      pump();
    });
    return closed(s);
  }

  /** `line` over and over, one byte per write, each write after the last was handed to the kernel. */
  private bytewise(kind: AttackKind, to: Addr, line: string): Promise<void> {
    const s = this.open(kind, to);
    s.resume();
    const bytes = Buffer.from(line, 'latin1');
    let at = 0;
    const step = (): void => {
      if (s.destroyed || !this.going) return;
      const b = bytes.subarray(at, at + 1);
      at = (at + 1) % bytes.length;
      this.count(kind, 1, at === 0 ? 1 : 0);
      // The callback of a write the kernel took at once comes on the next tick: chaining writes
      // there would starve every other connection of this process.
      s.write(b, () => setImmediate(step));
    };
    s.once('connect', step);
    return closed(s);
  }

  /** One request (a login attempt), then read until the server closes. */
  private oneShot(kind: AttackKind, to: Addr, request: Buffer): Promise<void> {
    const s = this.open(kind, to);
    s.resume();
    s.once('connect', () => {
      this.count(kind, request.length, 1);
      s.write(request);
    });
    return closed(s);
  }

  /** Connect, write the start of something, reset. */
  private reset(kind: AttackKind, to: Addr, start: Buffer): Promise<void> {
    const s = this.open(kind, to);
    s.once('connect', () => {
      this.count(kind, start.length, 1);
      s.write(start, () => s.resetAndDestroy());
    });
    return closed(s);
  }

  /** A request line and Host, then one more header line a second (the trickle timer), never the blank line. */
  private slowHeaders(kind: AttackKind, to: Addr): Promise<void> {
    const s = this.open(kind, to);
    s.resume();
    s.once('connect', () => {
      const head = Buffer.from(`GET / HTTP/1.1\r\nHost: ${to.host}:${to.port}\r\n`);
      this.count(kind, head.length, 1);
      s.write(head);
      this.slow.add(s);
    });
    s.once('close', () => this.slow.delete(s));
    return closed(s);
  }

  /** The upgrade request (IRC: offering text.ircv3.net), written before any frame. */
  private upgrade(irc: boolean): Buffer {
    const { host, port } = this.plan.endpoints.web;
    return Buffer.from(wsHandshake(host, port, '/ws', irc ? 'text.ircv3.net' : undefined).request);
  }

  /** A guest's login frames: JSON, or IRC registration lines. */
  private wsLogin(irc: boolean, name: string): Buffer[] {
    if (!irc) return [this.writer.text(JSON.stringify({ type: 'login', user: name, password: 'x' }))];
    return [`NICK ${name}`, `USER ${name} 0 * :${name}`].map((l) => this.writer.text(l));
  }
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => s.once('close', () => resolve()));
}

function ignore(): void {}
