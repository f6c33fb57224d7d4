import type { ClusterNodeRow } from '../cluster-view.js';
import * as actions from '../actions.js';
import { DEFAULTS } from '../limits.js';
import type { ChatMember } from '../member.js';
import type { TextCommand } from './commands.js';
import { echo, pageArg, pageNote, reply } from './reply.js';

/** The flow-control and admin commands: /stats, /stats all, /slow, /kick. */

const MIB = 1024 * 1024;

function windowText(w: number): string {
  return Number.isFinite(w) ? String(w) : 'off';
}

function delayText(ms: number): string {
  return ms > 0 ? `${ms} ms` : 'off';
}

/** Your own flow state, two lines. */
function ownStats(m: ChatMember): void {
  const s = actions.ownStats(m);
  const link = s.linkRate > 0 ? `${s.linkRate} bytes/s` : 'unlimited';
  const flood = s.flood ? `; flood control ${s.flood.delayed} delayed, ${s.flood.refused} refused` : '';
  reply(
    m,
    `Your queue: ${s.depth}/${s.queueSize} messages, ${s.bytes}/${s.queueBytes} bytes; window ${windowText(s.window)} (${s.cc}), ${s.inFlight} in flight; send delay ${delayText(s.delayMs)}; link ${link}.`,
    `Your messages: ${s.messagesIn} in, ${s.written} out, ${s.dropped} dropped${flood}.`,
  );
}

/** Server totals and memory, then one row per client (the fullest queues first), a page at a time. */
function allStats(m: ChatMember, page: number): void {
  const s = actions.serverStats(m, page);
  if (s === 'not-admin') return reply(m, '/stats all is for admins only.');
  const header = ['user', 'room', 'queue', 'bytes', 'window', 'delay', 'in', 'out', 'dropped'];
  const rows = s.rows.items.map((r) => [r.name, r.rooms.join(' '), String(r.depth), String(r.bytes), windowText(r.window), delayText(r.delayMs), String(r.messagesIn), String(r.written), String(r.dropped)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  reply(
    m,
    `Server: ${s.connections} connections, ${s.online} online; ${s.messagesIn} in, ${s.written} out, ${s.drops} dropped; ` +
      `rss ${(s.rssBytes / MIB).toFixed(1)} MiB, heap ${(s.heapBytes / MIB).toFixed(1)} MiB; up ${s.uptimeS} s${pageNote(s.rows, '/stats all')}.`,
    `Store: ${s.store.kind}, ${s.store.writes} entries written, ${s.store.errors} failed.`,
    ...clusterLines(s.cluster),
    format(header),
    ...rows.map(format),
  );
}

/** One line per node and the totals, when this server is part of a cluster. */
function clusterLines(nodes: readonly ClusterNodeRow[] | undefined): string[] {
  if (nodes === undefined) return [];
  const sum = (f: (n: ClusterNodeRow) => number): number => nodes.reduce((a, n) => a + f(n), 0);
  return [
    `Cluster: ${nodes.length} nodes, ${sum((n) => n.users)} online, ${sum((n) => n.messagesIn)} in, ${sum((n) => n.written)} out, ${sum((n) => n.drops)} dropped, ${sum((n) => n.busDrops)} lost between nodes.`,
    ...nodes.map(
      (n) =>
        `  ${n.self ? '*' : ' '} ${n.node}: ${n.users} online, ${n.connections} connections, ${n.messagesIn} in, ${n.written} out, ${n.drops} dropped, ${n.busDrops} lost between nodes` +
        (n.self ? ' (this node)' : `, heard ${n.silentS} s ago`),
    ),
  ];
}

const SLOW_USAGE = `Use: /slow <ms> (0-${DEFAULTS.maxSendDelayMs}) or /slow off`;

export const FLOW_COMMANDS: Readonly<Record<string, TextCommand>> = {
  stats: {
    usage: '/stats',
    help: 'your queue, window, delay and message counts (admins: /stats all, /stats all 2)',
    run(m, arg) {
      if (arg === '') return ownStats(m);
      const [what = '', pageText = ''] = arg.split(/\s+/, 2);
      const page = pageArg(pageText);
      if (what.toLowerCase() !== 'all' || page === undefined) return reply(m, 'Use: /stats, /stats all or /stats all <page>');
      allStats(m, page);
    },
  },
  slow: {
    usage: '/slow <ms>|off',
    help: 'make the server hold each message to you this long (an experiment)',
    run(m, arg) {
      if (arg === '') return reply(m, `Your send delay is ${delayText(m.outbox.delayMs)}. ${SLOW_USAGE}`);
      const wanted = arg.toLowerCase() === 'off' ? 'off' : /^\d{1,6}$/.test(arg) ? Number(arg) : undefined;
      const ms = wanted === undefined ? undefined : actions.slow(m, wanted);
      if (ms === undefined) return reply(m, SLOW_USAGE);
      reply(m, `Your send delay is now ${delayText(ms)}.`);
    },
  },
  kick: {
    usage: '/kick <user>',
    help: 'disconnect a user',
    admin: true,
    run(m, arg) {
      if (arg === '') return reply(m, 'Use: /kick <user>');
      switch (actions.kick(m, arg)) {
        case 'self':
          return reply(m, 'You cannot kick yourself; use /quit.');
        case 'offline':
          return reply(m, `User ${echo(arg)} not online.`);
        case 'not-admin':
          return reply(m, '/kick is for admins only.');
        case 'kicked':
          return reply(m, `Kicked ${arg}.`);
        case 'unreachable':
          return reply(m, `${echo(arg)} is on another server, which cannot be reached right now; try again shortly.`);
      }
    },
  },
};
