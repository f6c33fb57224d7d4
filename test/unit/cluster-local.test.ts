import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../src/core/log.js';
import { defaultConfig, type ServerConfig } from '../../src/server/config.js';
import { startChatServer, type ChatServer } from '../../src/server/server.js';
import { LocalBackend, LocalBroker } from '../../src/cluster/local.js';
import { TestClient, leave } from '../helpers/client.js';
import { rawIrc } from '../helpers/irc-client.js';
import { WsTestClient } from '../helpers/ws-client.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * Several real servers (real sockets, every protocol) in one process, joined through the in-process
 * engine (LocalBroker) instead of Redis: the cluster logic of the hub and ClusterNode, fast and
 * without a redis-server. test/integration/cluster.test.ts runs the same kind of scenarios over
 * real Redis with separate processes.
 */

interface Node {
  server: ChatServer;
  backend: LocalBackend;
  lines: string[];
}

/** A logger that keeps event and error lines, for waiting on them. */
function keeping(lines: string[]): Logger {
  const keep = (tag: string, text: string): void => {
    lines.push(`[${tag}] ${text}`);
  };
  return { event: keep, message: keep, error: keep };
}

async function nodes(n: number, extra: Partial<ServerConfig> = {}): Promise<{ list: Node[]; broker: LocalBroker; stop: () => Promise<void> }> {
  const broker = new LocalBroker();
  const list: Node[] = [];
  for (let i = 0; i < n; i++) {
    const backend = new LocalBackend(broker);
    const lines: string[] = [];
    const config: ServerConfig = {
      ...defaultConfig(),
      port: 0,
      floodRate: 0,
      statsIntervalS: 0,
      noticeDelayMs: 0,
      httpPort: 0,
      ircPort: 0,
      serverName: 'irc.test',
      nodeName: `n${i}`,
      nodeTimeoutMs: 600,
      ...extra,
    };
    const server = await startChatServer(config, keeping(lines), undefined, new Set(), backend);
    list.push({ server, backend, lines });
  }
  // Every node has heard every other's hello.
  await waitUntil(
    () => list.every((x) => x.server.ctx.cluster!.peerCount === n - 1),
    () => 'nodes never saw each other',
  );
  return {
    list,
    broker,
    async stop() {
      for (const x of list) await x.server.close();
    },
  };
}

test('IRC NAMES, WHOIS and ISON, and the web presence list, cover users on every node', async () => {
  const { list, stop } = await nodes(2);
  const [a, b] = list as [Node, Node];
  try {
    const text = await TestClient.login(b.server.port, 'user2');
    const irc = await rawIrc(a.server.ircPort!, 'user1');
    irc.send('NAMES #lobby\r\nWHOIS user2\r\nISON user2 nobody\r\n');
    await irc.waitFor(/ 353 user1 = #lobby :[^\r]*\buser2\b[^\r]*\r\n/);
    await irc.waitFor(/ 311 user1 user2 user2 irc\.test \* :user2\r\n/);
    await irc.waitFor(/ 303 user1 :user2\r\n/);
    const ws = await WsTestClient.login(a.server.httpPort!, 'user3');
    const presence = await ws.waitFor((m) => m.type === 'presence');
    assert.ok(presence.type === 'presence');
    assert.deepEqual(
      presence.users.map((u) => u.name).sort(),
      ['user1', 'user2', 'user3'],
    );
    ws.close();
    irc.send('QUIT :bye\r\n');
    await irc.waitClosed();
    await text.exit();
  } finally {
    await stop();
  }
});

test('an IRC user parts every channel and is still online on the other node; a JOIN there is seen here', async () => {
  const { list, stop } = await nodes(2);
  const [a, b] = list as [Node, Node];
  try {
    const irc = await rawIrc(a.server.ircPort!, 'user1');
    const text = await TestClient.login(b.server.port, 'user2');
    await irc.waitFor(/:user2!\S+ JOIN #lobby\r\n/);
    irc.send('PART #lobby\r\n');
    await text.waitFor('user1 left room lobby.\n');
    text.send('/who\n');
    await text.waitFor(/Online \(2\): user1 \(no room\)|Online \(2\): user1 \(\), /);
    irc.send('JOIN #lobby\r\n');
    await text.waitFor('user1 joined room lobby.\n');
    irc.send('QUIT\r\n');
    await irc.waitClosed();
    await text.exit();
  } finally {
    await stop();
  }
});

test('a node that loses the engine past --node-timeout: its users leave elsewhere, and on return it closes their sessions', async () => {
  const { list, stop } = await nodes(2);
  const [a, b] = list as [Node, Node];
  try {
    const u1 = await TestClient.login(a.server.port, 'user1');
    const u2 = await TestClient.login(b.server.port, 'user2');
    await u1.waitFor('user2 joined the chat.\n');
    b.backend.simulateDown(true);
    await u1.waitFor('user2 left the chat.\n');
    // Node a declared b dead in the engine: b's next renewal is told so.
    b.backend.simulateDown(false);
    await u2.waitFor('Disconnected: this server lost touch with the rest of the chat. Please log in again.\n');
    await u2.waitClosed();
    const again = await TestClient.login(b.server.port, 'user2');
    await u1.waitFor(/user2 joined the chat\.\n[\s\S]*user2 joined the chat\.\n/);
    await leave(again, u1);
  } finally {
    await stop();
  }
});

test('a short outage of the engine (under --node-timeout) changes nothing users can see', async () => {
  const { list, stop } = await nodes(2, { nodeTimeoutMs: 60_000 });
  const [a, b] = list as [Node, Node];
  try {
    const u1 = await TestClient.login(a.server.port, 'user1');
    const u2 = await TestClient.login(b.server.port, 'user2');
    await u1.waitFor('user2 joined the chat.\n');
    b.backend.simulateDown(true);
    u2.send('said while cut off\n');
    await waitUntil(
      () => b.server.ctx.cluster!.stats.busDrops > 0,
      () => 'the message published while down was not counted as dropped',
    );
    b.backend.simulateDown(false);
    await waitUntil(
      () => b.lines.some((l) => l.includes('connected again')),
      () => b.lines.join('\n'),
    );
    u2.send('said after\n');
    await u1.waitFor('user2: said after\n');
    assert.ok(!u1.text.includes('said while cut off'), 'a message that could not cross must not appear later');
    assert.ok(!u1.text.includes('user2 left'), 'no leave for a short outage');
    await leave(u1, u2);
  } finally {
    await stop();
  }
});
