import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { startServer } from '../helpers/server.js';
import { TestClient } from '../helpers/client.js';

const MIB = 1024 * 1024;

/** Resident and peak resident memory of a process, from /proc (Linux), in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Sends `total` bytes of 4 KB chat lines as fast as the server takes them. */
async function flood(c: TestClient, total: number): Promise<void> {
  const line = `${'x'.repeat(4000)}\n`;
  const block = line.repeat(64); // 256 KB per write
  for (let sent = 0; sent < total; sent += block.length) {
    if (!c.socket.write(block)) await once(c.socket, 'drain');
  }
}

test('a reader that stops reading cannot grow server memory beyond its bounds (256 MiB sent at it)', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  const server = await startServer(['--flood-rate', '0', '--quiet', '--drain-timeout', '0']);
  try {
    const frozen = await TestClient.login(server.port, 'user2');
    frozen.socket.pause();
    const sender = await TestClient.login(server.port, 'user1');
    await flood(sender, 4 * MIB); // warm up: the kernel buffers towards user2 fill, the heap settles
    const before = memoryOf(server.proc.pid!);
    await flood(sender, 256 * MIB);
    // A line after the flood: once it is answered, the server has handled everything before it.
    sender.send('/stats\n');
    await sender.waitFor(/Your messages: (\d+) in/, 60_000);
    const sentLines = Number(/Your messages: (\d+) in/.exec(sender.text)![1]);
    assert.ok(sentLines > 65_000, `${sentLines} lines handled`);
    const after = memoryOf(server.proc.pid!);
    const growth = after.peak - before.rss;
    // Bounded state for user2: 10 messages / 64 KiB. Allow generous room for the GC's young
    // generation and the lines in flight; buffering what was sent would be 256 MiB.
    console.log(`peak RSS growth ${(growth / MIB).toFixed(1)} MiB for ${sentLines} lines`);
    assert.ok(growth < 96 * MIB, `peak RSS grew by ${(growth / MIB).toFixed(1)} MiB`);
    frozen.destroy();
    sender.destroy();
  } finally {
    await server.stop();
  }
});

test('a frozen reader is closed after --drain-timeout and its leave is announced', async () => {
  const server = await startServer(['--flood-rate', '0', '--log-messages', 'off', '--drain-timeout', '1']);
  try {
    const frozen = await TestClient.login(server.port, 'user2');
    frozen.socket.pause();
    const sender = await TestClient.login(server.port, 'user1');
    const watcher = await TestClient.login(server.port, 'user3');
    watcher.socket.on('data', () => {}); // keeps reading
    // Enough to fill loopback's kernel buffers (a few MB) towards user2.
    await flood(sender, 16 * MIB);
    await server.waitForLog(/^\[DISCONNECTED\] user2 \(DRAIN_TIMEOUT\)$/, 30_000);
    await sender.waitFor('user2 left the chat.\n', 30_000);
    frozen.destroy();
    sender.destroy();
    watcher.destroy();
  } finally {
    await server.stop();
  }
});
