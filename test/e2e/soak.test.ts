import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProc } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';
import { hashPassword } from '../../src/store/accounts/password-hash.js';
import { stripControls } from '../../src/core/sanitize.js';

/**
 * Soak: hundreds of clients doing random things against the real server for SOAK_SECONDS (default
 * 55 s of traffic, about a minute in all), then the invariants:
 * - per-sender order is preserved at every recipient;
 * - nothing is delivered that was not sent (every chat line matches a message its sender sent, and
 *   lines cut off by a vanishing sender never appear);
 * - nothing is lost except drops the server counted: steady users (always online, always reading,
 *   always in the lobby) receive every message other steady users sent, less at most the drops the
 *   server told them about;
 * - /who equals the set of sessions the clients believe are live;
 * - server RSS levels off instead of growing with time;
 * - SIGTERM at the end: exit code 0 and the shutdown notice to everyone.
 */

const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 55);
const STEADY = 16;
const CHAOTIC = 184;
const PASSWORD = 'soak-password';
const ROOMS = ['lobby', 'r1', 'r2', 'r3'];
/** What nobody may receive: controls other than LF and TAB. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\u009f]/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/** Every message ever sent, per sender: seq -> the text recipients must see. */
const sent = new Map<string, Map<number, string>>();
/** Next sequence number per sender name (kept across reconnects, so order is checkable across them). */
const nextSeq = new Map<string, number>();
const problems: string[] = [];
const outcomes = new Map<string, number>();
const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

const PAYLOADS = ['hello', 'how are you', 'ünïcödé ✓', '\x1b[31mred\x1b[0m', 'tab\there', 'cr\rinside', '\x1b]0;title\x07x', '[SERVER] fake', 'user: fake', ' padded '];

/** Registers and returns the next message line of `name` (without LF). */
function compose(name: string): string {
  const seq = nextSeq.get(name) ?? 0;
  nextSeq.set(name, seq + 1);
  const text = `#${seq} ${pick(PAYLOADS)} ${pick(PAYLOADS)}`;
  let mine = sent.get(name);
  if (!mine) sent.set(name, (mine = new Map()));
  mine.set(seq, stripControls(text).trim());
  return text;
}

/** A raw client that parses what it receives line by line and checks every line as it arrives. */
class SoakClient {
  readonly socket: Socket;
  closed = false;
  first: string | undefined;
  /** Per sender: the last seq seen on this connection. */
  private readonly lastSeq = new Map<string, number>();
  /** (sender, seq) received from steady senders, for the completeness check. */
  readonly fromSteady = new Set<string>();
  droppedNotified = 0;
  whoReplies: string[] = [];
  sawShutdown = false;
  private buf = '';
  private firstWaiter: ((line: string) => void) | undefined;
  readonly ended: Promise<void>;

  constructor(port: number, localAddress?: string) {
    this.socket = connect({ port, host: '127.0.0.1', localAddress });
    this.socket.setEncoding('utf8');
    this.socket.on('error', () => {});
    this.socket.on('data', (d: string) => this.receive(d));
    this.ended = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.closed = true;
        this.firstWaiter?.('');
        resolve();
      }),
    );
  }

  /** Sends username and password at once (the server handles lines in order); resolves with the first line. */
  login(name: string, password: string): Promise<string> {
    this.socket.write(`${name}\n${password}\n`);
    return new Promise((resolve) => {
      if (this.first !== undefined || this.closed) return resolve(this.first ?? '');
      this.firstWaiter = resolve;
    });
  }

  send(line: string): void {
    if (!this.closed) this.socket.write(`${line}\n`);
  }

  private receive(d: string): void {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (this.first === undefined) {
        this.first = line;
        this.firstWaiter?.(line);
        this.firstWaiter = undefined;
      } else {
        this.check(line);
      }
    }
  }

  private check(line: string): void {
    if (CONTROL.test(line)) problems.push(`control character in ${JSON.stringify(line)}`);
    const chat = /^(?:\[PRIVATE\] )?([A-Za-z0-9_-]+): (#(\d+) .*)$/.exec(line);
    if (chat) {
      const [, from, text, seqText] = chat as unknown as [string, string, string, string];
      const seq = Number(seqText);
      if (sent.get(from)?.get(seq) !== text) problems.push(`never sent: ${JSON.stringify(line)}`);
      const last = this.lastSeq.get(from) ?? -1;
      if (seq <= last) problems.push(`out of order from ${from}: ${seq} after ${last}`);
      this.lastSeq.set(from, seq);
      if (from.startsWith('s')) this.fromSteady.add(`${from}#${seq}`);
      return;
    }
    const drop = /^\[SERVER\] (\d+) messages? (?:was|were) dropped because your connection is too slow\.$/.exec(line);
    if (drop) {
      this.droppedNotified += Number(drop[1]);
      return;
    }
    if (line.startsWith('[SERVER] Online (')) {
      this.whoReplies.push(line);
      return;
    }
    if (line === '[SERVER] Server shutting down.') {
      this.sawShutdown = true;
      return;
    }
    if (/^\[SERVER\] [^[]*$/.test(line)) return;
    if (/^[A-Za-z0-9_-]+ (joined|left) (the chat|room [A-Za-z0-9_-]+)\.$/.test(line)) return;
    problems.push(`unexpected line: ${JSON.stringify(line)}`);
  }
}

/** Whether this host routes 127.0.1.x to loopback (Linux does); wrong passwords come from there. */
async function canUseLoopbackAliases(port: number): Promise<boolean> {
  const c = new SoakClient(port, '127.0.1.1');
  const ok = await new Promise<boolean>((resolve) => {
    c.socket.on('connect', () => resolve(true));
    c.socket.on('error', () => resolve(false));
  });
  c.socket.destroy();
  return ok;
}

/** Live sessions as the clients see them: logged in and not closed. */
const live = new Map<string, SoakClient>();

async function chaotic(port: number, name: string, deadline: number, aliases: boolean): Promise<void> {
  while (Date.now() < deadline) {
    if (Math.random() < 0.1) {
      // A wrong login: a wrong password from an address of its own (so the throttle it may trip
      // touches nobody else), or a name the rule refuses.
      const c = new SoakClient(port, aliases ? `127.0.1.${1 + Math.floor(Math.random() * 16)}` : undefined);
      const first = await c.login(aliases ? name : 'bad name!', aliases ? 'wrong' : 'x');
      if (/Invalid credentials/.test(first)) count('wrong password refused');
      else if (/Too many failed logins/.test(first)) count('throttled');
      else if (/Invalid username/.test(first)) count('bad name refused');
      else problems.push(`wrong login got ${JSON.stringify(first)}`);
      c.socket.destroy();
      continue;
    }
    const c = new SoakClient(port);
    const first = await c.login(name, PASSWORD);
    if (!first.includes(`Welcome ${name}!`)) {
      // The server may not have seen this name's previous connection close yet.
      if (/already logged in/.test(first)) count('duplicate login refused');
      else problems.push(`${name} login got ${JSON.stringify(first)}`);
      c.socket.destroy();
      await sleep(100);
      continue;
    }
    count('logins');
    live.set(name, c);
    const mode = pick(['normal', 'normal', 'normal', 'slow', 'slow', 'deaf']);
    if (mode === 'deaf') c.socket.pause();
    const steps = 5 + Math.floor(Math.random() * 40);
    for (let i = 0; i < steps && Date.now() < deadline && !c.closed; i++) {
      const r = Math.random();
      if (r < 0.5) c.send(compose(name));
      else if (r < 0.7) c.send(`@${pick([`s${Math.floor(Math.random() * STEADY)}`, `c${Math.floor(Math.random() * CHAOTIC)}`])} ${compose(name)}`);
      else if (r < 0.85) c.send(`/join ${pick(ROOMS)}`);
      else c.send(pick(['/who', '/rooms', '/help', '', '/nonsense']));
      if (mode === 'slow' && Math.random() < 0.2) {
        c.socket.pause();
        setTimeout(() => c.socket.resume(), 200 + Math.random() * 800);
      }
      await sleep(50 + Math.random() * 300);
    }
    if (Date.now() >= deadline && !c.closed) return; // stays online for the final checks
    live.delete(name);
    const end = Math.random();
    if (end < 0.4) {
      c.send('exit');
      c.socket.resume();
      await c.ended;
      count('exits');
    } else if (end < 0.7) {
      c.socket.destroy();
      count('vanished');
    } else {
      // Vanish mid-line: this half message must never be delivered to anyone.
      c.socket.write(`#${nextSeq.get(name) ?? 0} never delivered`);
      nextSeq.set(name, (nextSeq.get(name) ?? 0) + 1);
      c.socket.destroy();
      count('vanished mid-line');
    }
  }
}

function rssOf(server: ServerProc): number {
  const status = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

test(`soak: ${STEADY + CHAOTIC} clients doing random things for ${SECONDS} s`, { timeout: (SECONDS + 90) * 1000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-soak-'));
  const hash = await hashPassword(PASSWORD);
  const names = [...Array.from({ length: STEADY }, (_, i) => `s${i}`), ...Array.from({ length: CHAOTIC }, (_, i) => `c${i}`)];
  writeFileSync(join(dir, 'users.txt'), names.map((n) => `${n}:${hash}\n`).join(''));
  const server = await startServer(['--users', join(dir, 'users.txt'), '--max-per-ip', '1000', '--log-messages', 'off']);
  try {
    const aliases = await canUseLoopbackAliases(server.port);
    if (!aliases) t.diagnostic('no 127.0.1.x here: wrong logins use refused names instead of wrong passwords');

    const steady: SoakClient[] = [];
    for (let i = 0; i < STEADY; i++) {
      const c = new SoakClient(server.port);
      assert.match(await c.login(`s${i}`, PASSWORD), new RegExp(`Welcome s${i}!`));
      steady.push(c);
      live.set(`s${i}`, c);
    }

    const start = Date.now();
    const deadline = start + SECONDS * 1000;
    const rss: Array<{ at: number; bytes: number }> = [];
    const sampler = setInterval(() => rss.push({ at: Date.now() - start, bytes: rssOf(server) }), 500);
    // Steady users talk to the lobby and to each other until the deadline; every message is expected.
    const expected = steady.map(() => new Set<string>());
    const talkers = steady.map(async (c, i) => {
      while (Date.now() < deadline) {
        const me = `s${i}`;
        if (Math.random() < 0.2) {
          const to = Math.floor(Math.random() * STEADY);
          if (to === i) continue;
          const line = compose(me);
          c.send(`@s${to} ${line}`);
          expected[to]!.add(`${me}#${nextSeq.get(me)! - 1}`);
        } else {
          c.send(compose(me));
          for (let j = 0; j < STEADY; j++) if (j !== i) expected[j]!.add(`${me}#${nextSeq.get(me)! - 1}`);
        }
        await sleep(150 + Math.random() * 200);
      }
    });
    await Promise.all([...talkers, ...Array.from({ length: CHAOTIC }, (_, i) => chaotic(server.port, `c${i}`, deadline, aliases))]);
    clearInterval(sampler);

    // Quiet down: everyone still online reads again, then wait for the steady users to catch up.
    for (const c of live.values()) c.socket.resume();
    const settleBy = Date.now() + 30_000;
    const missing = () => steady.map((c, i) => [...expected[i]!].filter((k) => !c.fromSteady.has(k)).length);
    while (Date.now() < settleBy && missing().some((m, i) => m > steady[i]!.droppedNotified)) await sleep(200);

    assert.deepEqual(problems.slice(0, 20), []);
    missing().forEach((m, i) => assert.ok(m <= steady[i]!.droppedNotified, `s${i} lost ${m} messages but was told of ${steady[i]!.droppedNotified} drops`));

    // Presence equals the live sessions (the server may take a moment to see the last closes).
    const want = [...live.keys()].sort().join(',');
    let got = '';
    while (Date.now() < settleBy + 10_000) {
      const before = steady[0]!.whoReplies.length;
      steady[0]!.send('/who');
      await waitUntil(() => steady[0]!.whoReplies.length > before, () => '/who got no reply', { everyMs: 20 });
      const reply = steady[0]!.whoReplies[before]!;
      got = [...reply.slice(reply.indexOf('): ') + 3).matchAll(/([A-Za-z0-9_-]+) \(/g)].map((m) => m[1]).sort().join(',');
      if (got === want) break;
      await sleep(200);
    }
    assert.equal(got, want, 'the presence list equals the live sessions');

    // Memory levels off: the last third of the run holds no more than the middle third, with margin.
    const third = (SECONDS * 1000) / 3;
    const peak = (from: number, to: number) => Math.max(0, ...rss.filter((s) => s.at >= from && s.at < to).map((s) => s.bytes));
    const middle = peak(third, 2 * third);
    const last = peak(2 * third, Infinity);
    t.diagnostic(`outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; RSS middle ${(middle / 2 ** 20).toFixed(0)} MiB, last ${(last / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(last <= middle * 1.5 + 64 * 2 ** 20, `RSS kept growing: ${middle} -> ${last}`);
    assert.ok((outcomes.get('logins') ?? 0) > CHAOTIC, 'the chaotic clients did log in');

    assert.equal(await server.stop('SIGTERM'), 0);
    const online = [...live.values()];
    await Promise.all(online.map((c) => c.ended));
    assert.deepEqual(online.filter((c) => !c.sawShutdown).length, 0, 'everyone online got the shutdown notice');
  } finally {
    await server.stop();
    for (const c of live.values()) c.socket.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
