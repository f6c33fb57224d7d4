import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as actions from '../../src/core/actions.js';
import type { CloseCode } from '../../src/core/close-reasons.js';
import type { ChatEvent, Renderer } from '../../src/core/events.js';
import { admit, authenticate, type LoginOutcome } from '../../src/core/login.js';
import type { ChatMember, MemberHost } from '../../src/core/member.js';
import type { Session } from '../../src/core/transport.js';
import type { ChatContext } from '../../src/core/context.js';
import { silentLogger } from '../../src/core/log.js';
import { defaultConfig } from '../../src/server/config.js';
import { startChatServer, type ChatServer } from '../../src/server/server.js';
import { TextSession } from '../../src/protocols/text/session.js';
import { FakeTransport } from '../helpers/fake-transport.js';

// A second protocol, as small as one can be, built only on the shared core (login, member,
// actions, hub): JSON requests in, one JSON object per event out. It shares rooms, accounts and
// the duplicate-login rule with text-protocol users on the same server. This is how IRC and
// WebSocket sessions plug in.

/** Renders every event as one JSON line; the stamp is left out so the lines are easy to compare. */
const jsonRenderer: Renderer = {
  id: 'json',
  render(event: ChatEvent): Buffer {
    const { stamp: _stamp, ...rest } = event as ChatEvent & { stamp?: unknown };
    return Buffer.from(`${JSON.stringify(rest)}\n`);
  },
};

type Request =
  | { op: 'login'; name: string; password: string }
  | { op: 'say'; room: string; text: string }
  | { op: 'whisper'; to: string; text: string }
  | { op: 'join'; room: string }
  | { op: 'part'; room: string }
  | { op: 'kick'; user: string }
  | { op: 'quit' };

/** The whole "protocol": a parser onto the core and a renderer of its results. */
class JsonSession implements Session, MemberHost {
  readonly renderer = jsonRenderer;
  member: ChatMember | undefined;
  results: unknown[] = [];
  private open = true;

  constructor(
    readonly transport: FakeTransport,
    private readonly ctx: ChatContext,
  ) {
    transport.session = this;
  }

  request(r: Request): void {
    const m = this.member;
    if (r.op === 'login') {
      void authenticate(this.ctx, { name: r.name, password: r.password, ip: '198.51.100.1', port: 1, alive: () => this.open }, this).then((o: LoginOutcome) => {
        this.results.push(o.kind);
        if (o.kind === 'ok') this.member = admit(this.ctx, o.account, this, Buffer.from('{"kind":"welcome"}\n'));
      });
      return;
    }
    if (m === undefined) return;
    switch (r.op) {
      case 'say':
        return void this.results.push(actions.say(m, r.room, r.text));
      case 'whisper':
        return void this.results.push(actions.whisper(m, r.to, r.text));
      case 'join':
        return void this.results.push(actions.join(m, r.room));
      case 'part':
        return void this.results.push(actions.part(m, r.room));
      case 'kick':
        return void this.results.push(actions.kick(m, r.user));
      case 'quit':
        return actions.quit(m);
    }
  }

  /** The JSON events received so far, parsed. */
  get events(): Array<Record<string, unknown>> {
    return this.transport.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  data(): void {}
  drained(): void {
    this.member?.outbox.drained();
  }
  closed(code: CloseCode): void {
    if (this.member !== undefined) this.member.leave(code);
    else this.left();
  }
  shutdown(): void {
    this.member?.quit('SHUTDOWN', 'Server shutting down.');
  }
  left(): void {
    this.open = false;
  }
}

let port = 1;

async function withServer(fn: (server: ChatServer) => Promise<void>): Promise<void> {
  const server = await startChatServer({ ...defaultConfig(), port: 0, floodRate: 0, statsIntervalS: 0, noticeDelayMs: 0, httpPort: null, ircPort: null }, silentLogger);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function textUser(server: ChatServer, name: string): Promise<FakeTransport> {
  const t = new FakeTransport('192.0.2.1', port++);
  t.session = new TextSession(t, server.ctx, server.config);
  t.session.data(Buffer.from(`${name}\n${name}p\n`));
  await t.waitFor(`Welcome ${name}!`);
  return t;
}

async function jsonUser(server: ChatServer, name: string): Promise<JsonSession> {
  const s = new JsonSession(new FakeTransport('198.51.100.1', port++), server.ctx);
  s.request({ op: 'login', name, password: `${name}p` });
  await s.transport.waitFor('{"kind":"welcome"}');
  return s;
}

test('a second protocol shares login, rooms, messages and private messages with text users', async () => {
  await withServer(async (server) => {
    const alice = await textUser(server, 'user1');
    const bob = await jsonUser(server, 'user3');
    await alice.waitFor('user3 joined the chat.\n');

    alice.session.data(Buffer.from('hello from text\n'));
    await bob.transport.waitFor('"text":"hello from text"');
    assert.deepEqual(bob.events.at(-1), { kind: 'message', from: 'user1', room: 'lobby', text: 'hello from text' });

    // User text is sanitised by the core, for every protocol.
    bob.request({ op: 'say', room: 'lobby', text: ' \x1b[2Jhello from json ' });
    await alice.waitFor('user3: hello from json\n');

    bob.request({ op: 'whisper', to: 'user1', text: 'psst' });
    await alice.waitFor('[PRIVATE] user3: psst\n');
    alice.session.data(Buffer.from('@user3 back at you\n'));
    await bob.transport.waitFor('"kind":"private","from":"user1","to":"user3","text":"back at you"');

    bob.request({ op: 'say', room: 'dev', text: 'not a member' });
    assert.equal(bob.results.at(-1), 'not-in-room');

    // The same name on the other protocol is a duplicate, both ways.
    const dup = new JsonSession(new FakeTransport('198.51.100.1', port++), server.ctx);
    dup.request({ op: 'login', name: 'user1', password: 'user1p' });
    const dupText = new FakeTransport('192.0.2.1', port++);
    dupText.session = new TextSession(dupText, server.ctx, server.config);
    dupText.session.data(Buffer.from('user3\nuser3p\n'));
    await dupText.waitFor('Username already logged in. Connection closed.\n');
    await dup.transport.until(() => dup.results.length > 0, () => 'no login result');
    assert.deepEqual(dup.results, ['duplicate']);

    alice.session.data(Buffer.from('exit\n'));
    await bob.transport.waitFor('{"kind":"left","user":"user1","room":"lobby","how":"logout"}');
    bob.request({ op: 'quit' });
    await bob.transport.waitClosed();
    assert.equal(server.ctx.hub.size, 0);
  });
});

test('members of several rooms: one copy per message, one leave per neighbour however many rooms they share', async () => {
  await withServer(async (server) => {
    const text = await textUser(server, 'user1');
    const a = await jsonUser(server, 'user3');
    const b = await jsonUser(server, 'user4');
    for (const s of [a, b]) s.request({ op: 'join', room: '#dev' });
    assert.deepEqual([a.results, b.results], [['ok', 'joined'], ['ok', 'joined']]);
    a.request({ op: 'join', room: 'dev' });
    assert.equal(a.results.at(-1), 'already-in');
    a.request({ op: 'join', room: 'bad room!' });
    assert.equal(a.results.at(-1), 'invalid-name');

    // The text user moves into dev: the JSON users see one join in dev, and a part from lobby.
    text.session.data(Buffer.from('/join dev\n'));
    await text.waitFor('[SERVER] You are now in room dev.\n');
    await b.transport.waitFor('"kind":"joined","user":"user1","room":"dev","how":"join"');
    assert.equal(b.events.filter((e) => e.kind === 'left' && e.user === 'user1').length, 1, 'one part, from lobby');

    text.session.data(Buffer.from('in dev\n'));
    await b.transport.waitFor('"text":"in dev"');
    assert.equal(b.events.filter((e) => e.text === 'in dev').length, 1);

    // a leaves the chat: b shares lobby and dev with a, and is told once; the text user once too.
    a.request({ op: 'quit' });
    await a.transport.waitClosed();
    text.session.data(Buffer.from('marker\n'));
    await b.transport.waitFor('"text":"marker"');
    assert.deepEqual(b.events.filter((e) => e.user === 'user3' && e.kind === 'left').map((e) => e.how), ['logout']);
    assert.equal(text.lines.filter((l) => l === 'user3 left the chat.').length, 1);

    b.request({ op: 'part', room: 'lobby' });
    b.request({ op: 'part', room: 'lobby' });
    assert.deepEqual(b.results.slice(-2), ['parted', 'not-in-room']);
    for (const s of [b]) s.request({ op: 'quit' });
    text.session.data(Buffer.from('exit\n'));
    await text.waitClosed();
  });
});

test('/kick and /stats all reach users of any protocol; a JSON admin kicks a text user', async () => {
  await withServer(async (server) => {
    const admin = await textUser(server, 'user1');
    const victim = await jsonUser(server, 'user3');
    admin.session.data(Buffer.from('/stats all\n'));
    await admin.waitFor(/\n\[SERVER\] user3 +lobby /);
    admin.session.data(Buffer.from('/kick user3\n'));
    await admin.waitFor('[SERVER] Kicked user3.\n');
    await victim.transport.waitFor('{"kind":"closing","text":"You were kicked by user1."}');
    await victim.transport.waitClosed();
    assert.equal(victim.transport.code, 'KICKED');

    const text = await textUser(server, 'user2');
    const jsonAdmin = await jsonUser(server, 'user4');
    jsonAdmin.request({ op: 'kick', user: 'user2' });
    assert.equal(jsonAdmin.results.at(-1), 'not-admin', 'user4 is not an admin');
    admin.session.data(Buffer.from('/kick user4\n'));
    await jsonAdmin.transport.waitClosed();
    text.session.data(Buffer.from('exit\n'));
    admin.session.data(Buffer.from('exit\n'));
    await admin.waitClosed();
  });
});
