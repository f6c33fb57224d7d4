import { defineCommands } from './commands.js';
import { TextSession } from './session.js';
import type { Outbox } from '../../core/outbox.js';

/** Most rows /stats all prints: the output goes through the admin's own outbox, bound-exempt. */
const MAX_STATS_ROWS = 50;
/** Upper bound for /slow, the same as --send-delay. */
const MAX_SLOW_MS = 60_000;

const MIB = 1024 * 1024;
const startedAt = Date.now();

function windowText(o: Outbox): string {
  return Number.isFinite(o.window) ? String(o.window) : 'off';
}

function delayText(ms: number): string {
  return ms > 0 ? `${ms} ms` : 'off';
}

/** Your own flow state, two lines. */
function ownStats(s: TextSession): void {
  const o = s.outbox;
  const { queueSize, queueBytes, cc } = s.ctx.config;
  const link = o.linkRate > 0 ? `${o.linkRate} bytes/s` : 'unlimited';
  s.notice(`Your queue: ${o.depth}/${queueSize} messages, ${o.bytes}/${queueBytes} bytes; window ${windowText(o)} (${cc}), ${o.inFlight} in flight; send delay ${delayText(o.delayMs)}; link ${link}.`);
  const flood = s.flood ? `; flood control ${s.flood.control.delayed} delayed, ${s.flood.control.refused} refused` : '';
  s.notice(`Your messages: ${s.messagesIn} in, ${o.written} out, ${o.dropped} dropped${flood}.`);
}

/** Every client, one row each (the fullest queues first), plus server totals and memory. */
function allStats(s: TextSession): void {
  const { hub, counters } = s.ctx;
  const mem = process.memoryUsage();
  const uptime = Math.round((Date.now() - startedAt) / 1000);
  s.notice(
    `Server: ${counters.connections} connections, ${hub.size} online; ${counters.messagesIn} in, ${counters.written} out, ${counters.drops} dropped; ` +
      `rss ${(mem.rss / MIB).toFixed(1)} MiB, heap ${(mem.heapUsed / MIB).toFixed(1)} MiB; up ${uptime} s.`,
  );
  const rows: string[][] = [];
  const members = [...hub.members()].sort((a, b) => b.outbox.depth - a.outbox.depth || (a.name < b.name ? -1 : 1));
  for (const m of members.slice(0, MAX_STATS_ROWS)) {
    const o = m.outbox;
    const messagesIn = m instanceof TextSession ? String(m.messagesIn) : '-';
    rows.push([m.name, m.room, String(o.depth), String(o.bytes), windowText(o), delayText(o.delayMs), messagesIn, String(o.written), String(o.dropped)]);
  }
  const header = ['user', 'room', 'queue', 'bytes', 'window', 'delay', 'in', 'out', 'dropped'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  s.notice(format(header));
  for (const r of rows) s.notice(format(r));
  if (members.length > MAX_STATS_ROWS) s.notice(`... and ${members.length - MAX_STATS_ROWS} more.`);
}

defineCommands({
  stats: {
    usage: '/stats',
    help: 'your queue, window, delay and message counts (admins: /stats all)',
    run(s, arg) {
      if (arg === '') return ownStats(s);
      if (arg.toLowerCase() !== 'all') return s.notice('Use: /stats or /stats all');
      if (!s.admin) return s.notice('/stats all is for admins only.');
      allStats(s);
    },
  },
  slow: {
    usage: '/slow <ms>|off',
    help: 'make the server hold each message to you this long (an experiment)',
    run(s, arg) {
      const configured = s.ctx.config.slow.get(s.name) ?? s.ctx.config.sendDelayMs;
      if (arg === '') return s.notice(`Your send delay is ${delayText(s.outbox.delayMs)}. Use: /slow <ms> (0-${MAX_SLOW_MS}) or /slow off`);
      let ms: number;
      if (arg.toLowerCase() === 'off') ms = configured;
      else if (/^\d{1,6}$/.test(arg) && Number(arg) <= MAX_SLOW_MS) ms = Number(arg);
      else return s.notice(`Use: /slow <ms> (0-${MAX_SLOW_MS}) or /slow off`);
      s.outbox.delayMs = ms;
      s.ctx.log.event('SLOW', `${s.name} set a send delay of ${ms} ms`, { user: s.name, ms });
      s.notice(`Your send delay is now ${delayText(ms)}.`);
    },
  },
  kick: {
    usage: '/kick <user>',
    help: 'disconnect a user',
    admin: true,
    run(s, arg) {
      if (arg === '') return s.notice('Use: /kick <user>');
      if (arg === s.name) return s.notice('You cannot kick yourself; use /quit.');
      const target = s.ctx.hub.get(arg);
      if (!(target instanceof TextSession)) return s.notice(`User ${arg} not online.`);
      s.ctx.log.event('KICK', `${target.name} by ${s.name}`, { user: target.name, by: s.name });
      target.notice(`You were kicked by ${s.name}.`);
      target.quit('KICKED');
      s.notice(`Kicked ${target.name}.`);
    },
  },
});
