import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnListening } from './processes.js';
import type { Target } from './targets.js';

/**
 * The C IRC servers the bench compares our IRC listener with (Debian: `apt-get install -y ngircd
 * inspircd`). Each run writes a minimal config to a fresh temp dir: one client port on 127.0.0.1
 * (a free one), connection limits above the client count with per-IP clone limits off, flood
 * control off (penalties, fakelag, command rate), no DNS or ident lookups. The daemon runs in the
 * foreground and is stopped by pid; the temp dir is removed after.
 */

export const NGIRCD = '/usr/sbin/ngircd';
/** ngIRCd's listen backlog, fixed in its source (`ss -ltn` shows Send-Q 10). */
const NGIRCD_BACKLOG = 10;
export const INSPIRCD = '/usr/sbin/inspircd';

/** The daemon's name when its binary exists; used by the smoke tests to skip. */
export function ircDaemonAvailable(name: 'ngircd' | 'inspircd'): boolean {
  return existsSync(name === 'ngircd' ? NGIRCD : INSPIRCD);
}

/**
 * ngIRCd 26 (ngircd.conf(5)): MaxConnectionsIP 0 = no clone limit, MaxPenaltyTime 0 = no flood
 * penalties, MaxNickLength 31 (its maximum). No PidFile: run as root it drops to `nobody`, which
 * could not write one into our temp dir.
 */
export function ngircdConfig(port: number): string {
  return `[Global]
	Name = bench.ngircd.local
	Info = chatd bench
	AdminInfo1 = chatd bench
	AdminInfo2 = 127.0.0.1
	AdminEMail = bench@localhost
	Listen = 127.0.0.1
	Ports = ${port}
	MotdPhrase = "bench"
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 31
	MaxPenaltyTime = 0
	PingTimeout = 120
	PongTimeout = 60
[Options]
	DNS = no
	Ident = no
	PAM = no
`;
}

/**
 * InspIRCd 3 (docs.inspircd.org/3/configuration): one connect class for everyone with
 * localmax/globalmax/limit at the client count, threshold and commandrate out of reach and fakelag
 * off; resolvehostnames off; sendq/recvq large enough for firehose rates.
 */
export function inspircdConfig(port: number, dir: string, maxConnections: number): string {
  const n = Math.max(maxConnections + 100, 10_000);
  return `<server name="bench.inspircd.local" description="chatd bench" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="bench" allow="*" maxchans="20" timeout="60" pingfreq="120" hardsendq="16M" softsendq="4M" recvq="1M"
  threshold="1000000" commandrate="1000000000" fakelag="off" localmax="${n}" globalmax="${n}" maxconnwarn="off"
  resolvehostnames="no" useident="no" limit="${n}">
<performance softlimit="${n}" somaxconn="1024" clonesonconnect="no" quietbursts="yes" netbuffersize="65536">
<channels users="20" opers="60">
<limits maxnick="32">
<pid file="${join(dir, 'inspircd.pid')}">
<files motd="${join(dir, 'motd.txt')}">
<options prefixquit="Quit: ">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${join(dir, 'ircd.log')}">
`;
}

async function startDaemon(name: 'ngircd' | 'inspircd', maxConnections: number): Promise<Target> {
  const bin = name === 'ngircd' ? NGIRCD : INSPIRCD;
  if (!existsSync(bin)) throw new Error(`${name} is not installed (apt-get install -y ${name})`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `chatd-bench-${name}-`));
  const conf = join(dir, `${name}.conf`);
  let args: string[];
  if (name === 'ngircd') {
    writeFileSync(conf, ngircdConfig(port));
    args = ['--nodaemon', '--config', conf];
  } else {
    writeFileSync(conf, inspircdConfig(port, dir, maxConnections));
    writeFileSync(join(dir, 'motd.txt'), 'bench\n');
    // --runasroot: InspIRCd refuses root otherwise (the bench may run as root in a container).
    args = ['--nofork', '--nopid', `--config=${conf}`, ...(process.getuid?.() === 0 ? ['--runasroot'] : [])];
  }
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  let started: Awaited<ReturnType<typeof spawnListening>>;
  try {
    started = await spawnListening(bin, args, port);
  } catch (e) {
    removeDir();
    throw e;
  }
  return {
    name, proto: 'irc', endpoints: [{ host: '127.0.0.1', port }], wsPath: '', ircPass: false,
    pids: started.pid === null ? [] : [started.pid], busPid: null,
    // ngIRCd listens with a fixed backlog of 10 (listen(sock, 10) in conn.c): more connects in
    // flight overflow it, the kernel drops the SYNs and the clients retry after 1, 3, 7 s...
    maxLoginsInFlight: name === 'ngircd' ? NGIRCD_BACKLOG - 2 : null,
    receivers: (n) => n - 1,
    stop: async () => { await started.stop(); removeDir(); },
  };
}

export function startNgircd(maxConnections: number): Promise<Target> {
  return startDaemon('ngircd', maxConnections);
}

export function startInspircd(maxConnections: number): Promise<Target> {
  return startDaemon('inspircd', maxConnections);
}
