// A/B fan-out microbenchmark of the outbox in one process: N recipients get K shared messages per
// turn; sinks take everything. Blocks of turns alternate between two builds; the median ms/turn of
// each is reported. Usage: node scripts/measure/fanout-ab.mjs N K TURNS ROUNDS BASE_DIST NEW_DIST
// (each a checkout's dist/ folder, e.g. of a `git worktree` at the older commit, built with tsc).
const [N, K, TURNS, ROUNDS] = process.argv.slice(2, 6).map(Number);
const dists = { base: process.argv[6], new: process.argv[7] };
const ev = { dropped() {}, overflowed() {}, caughtUp() {}, drainTimedOut() {} };
const limits = { queueSize: 10, queueBytes: 64 * 1024, overflow: 'drop-newest', drainTimeoutMs: 0, sendDelayMs: 0, linkRate: 0, cc: 'none' };
const sink = { writableLength: 0, n: 0, write(c) { this.n += c.length; return true; } };
const msgs = Array.from({ length: K }, (_, i) => Buffer.from(`<user${i}> hello there this is message number ${i} of the burst\n`));
const turn = () => new Promise((r) => setImmediate(r));
const builds = {};
for (const v of ['base', 'new']) {
  const { Outbox } = await import(`${dists[v]}/src/core/outbox.js`);
  builds[v] = { boxes: Array.from({ length: N }, () => new Outbox(sink, limits, ev)), times: [] };
}
async function run(b, turns) {
  const t0 = process.hrtime.bigint();
  for (let t = 0; t < turns; t++) { for (const m of msgs) for (const o of b.boxes) o.push(m); await turn(); }
  return Number(process.hrtime.bigint() - t0) / 1e6 / turns;
}
for (const b of Object.values(builds)) await run(b, 50);
for (let r = 0; r < ROUNDS; r++) for (const v of r % 2 ? ['new', 'base'] : ['base', 'new']) builds[v].times.push(await run(builds[v], TURNS));
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [v, b] of Object.entries(builds)) console.log(`${v.padEnd(4)} N=${N} K=${K}: median ${med(b.times).toFixed(3)} ms/turn (${b.times.map((t) => t.toFixed(2)).join(' ')})`);
