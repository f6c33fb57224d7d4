// The review's measurement for command output in the outbox bounds (issue 14, defect 1): 1,500
// users online, 5 logged-in clients that never read send /who 10 times a second for 30 s; prints the
// server's RSS before and after. Usage: node scripts/measure/who-spam.mjs [dist/src/server/main.js]
// [extra server flags...]. Traffic only to 127.0.0.1; it ends by itself after ~35 s.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { readFileSync } from 'node:fs';
const main = process.argv[2] ?? 'dist/src/server/main.js';
const extra = process.argv.slice(3);
const p = spawn(process.execPath, [main, '--port', '0', '--auth', 'open', '--max-per-ip', '5000', '--quiet', '--stats-interval', '0', '--announce-limit', '10', '--flood-rate', '0', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = ''; p.stdout.on('data', (d) => (out += d));
while (!/running on [^:]+:(\d+)/.test(out)) await new Promise((r) => setTimeout(r, 50));
const port = Number(/running on [^:]+:(\d+)/.exec(out)[1]);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'))[1]) / 1024;
const login = (name) => new Promise((res) => { const s = net.connect(port, '127.0.0.1'); let t = ''; s.on('data', (d) => { t += d; if (t.includes('Welcome')) { s.removeAllListeners('data'); s.on('data', () => {}); res(s); } }); s.write(`${name}\nx\n`); });
const crowd = [];
for (let i = 0; i < 1500; i++) crowd.push(await login(`member_${String(i).padStart(4, '0')}_with_a_longish_name`));
const spam = [];
for (let i = 0; i < 5; i++) { const s = await login(`spammer${i}`); s.pause(); spam.push(s); }
await new Promise((r) => setTimeout(r, 2000));
const before = rss();
const t0 = Date.now();
const timer = setInterval(() => { for (const s of spam) s.write('/who\n'); }, 100);
await new Promise((r) => setTimeout(r, 30000));
clearInterval(timer);
await new Promise((r) => setTimeout(r, 1000));
const after = rss();
console.log(JSON.stringify({ beforeMiB: before.toFixed(1), afterMiB: after.toFixed(1), growthMiB: (after - before).toFixed(1), seconds: (Date.now() - t0) / 1000 }));
p.kill(); for (const s of [...crowd, ...spam]) s.destroy();
process.exit(0);
