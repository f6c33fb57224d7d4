import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * deploy/ as far as this machine can check it (docs/DEPLOY.md, "What is tested here and what is
 * not"): the systemd unit with systemd-analyze verify, the compose file parsed as YAML, the paths
 * the Dockerfile copies, the certbot hook's shell syntax. Nothing is built or started: a docker
 * build needs the network, and there is no systemd as PID 1 here.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

test('the systemd unit passes systemd-analyze verify', { skip: has('systemd-analyze', ['--version']) ? false : 'systemd-analyze is not installed' }, () => {
  const unit = readFileSync(join(DEPLOY, 'chatd.service'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'chatd-unit-'));
  try {
    // verify checks that ExecStart's program exists: the unit names the installed one, this checkout has its own.
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/chat-server$/m);
    const file = join(dir, 'chatd.service');
    writeFileSync(file, unit.replace(/^ExecStart=\/usr\/local\/bin\/chat-server$/m, `ExecStart=${join(ROOT, 'bin', 'chat-server.js')}`));
    const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    // An unknown key or a bad value is only a warning (exit 0): any line about the unit fails too.
    const about = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('chatd.service'));
    assert.deepEqual({ status: r.status, about }, { status: 0, about: [] }, `${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the unit keeps --data-dir in its StateDirectory, reloads with SIGHUP and runs hardened', () => {
  const unit = readFileSync(join(DEPLOY, 'chatd.service'), 'utf8');
  for (const line of ['DynamicUser=yes', 'StateDirectory=chatd', 'Environment=CHAT_DATA_DIR=/var/lib/chatd', 'ExecReload=/bin/kill -HUP $MAINPID', 'LimitNOFILE=65536', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=']) {
    assert.ok(unit.split('\n').includes(line), `chatd.service lacks ${line}`);
  }
  assert.doesNotMatch(unit, /^MemoryDenyWriteExecute=yes/m, 'V8 needs writable executable memory');
});

test('the compose file is YAML with Redis and two nodes on it, on distinct host ports', { skip: has('python3', ['-c', 'import yaml']) ? false : 'python3 with PyYAML is not installed' }, () => {
  const r = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(DEPLOY, 'compose.yaml')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  type Service = { image?: string; build?: { context: string; dockerfile: string }; environment?: Record<string, string>; ports?: string[]; depends_on?: Record<string, { condition: string }> };
  const doc = JSON.parse(r.stdout) as { services: Record<string, Service> };
  assert.deepEqual(Object.keys(doc.services).sort(), ['node-a', 'node-b', 'redis']);
  assert.match(doc.services['redis']!.image ?? '', /^redis:7/);
  const hostPorts: string[] = [];
  for (const name of ['node-a', 'node-b']) {
    const node = doc.services[name]!;
    assert.equal(node.environment?.['CHAT_REDIS'], 'redis://redis:6379', name);
    assert.equal(node.environment?.['CHAT_NODE_NAME'], name);
    assert.equal(node.depends_on?.['redis']?.condition, 'service_healthy', name);
    assert.ok(node.build && existsSync(join(DEPLOY, node.build.context, node.build.dockerfile)), `${name} builds from a Dockerfile that exists`);
    hostPorts.push(...(node.ports ?? []).map((p) => p.split(':')[0]!));
  }
  assert.equal(new Set(hostPorts).size, hostPorts.length, `host ports collide: ${hostPorts.join(' ')}`);
});

test('the Dockerfile copies only paths that exist and runs chat-server', () => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const copies = [...text.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
  assert.ok(copies.length > 0);
  for (const path of copies) assert.ok(existsSync(join(ROOT, path)), `COPY ${path}: no such path in the repository`);
  assert.match(text, /^ENTRYPOINT \["chat-server"\]$/m);
  assert.match(text, /\/healthz/);
});

test('the certbot deploy hook is valid sh', () => {
  const r = spawnSync('sh', ['-n', join(DEPLOY, 'certbot-deploy-hook.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
