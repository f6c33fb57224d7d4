import type { BenchOptions } from '../options.js';
import type { Progress } from '../progress.js';
import type { RoomResult } from '../results.js';
import { broadcastProblems, runBroadcast, warmUp } from './broadcast.js';
import { loginProblems, loginRange, requireLogins, settle, withSession, type ScenarioRun } from './session.js';

/**
 * room: N clients log in and sit in one room; every client sends, together --rate messages/s,
 * staggered, for --duration seconds. A list of client counts (--clients 100,1000) runs one point
 * per count in the same room, growing it, which is what the chart plots.
 */
export async function runRoom(targetSpec: string, o: BenchOptions, progress: Progress): Promise<ScenarioRun<RoomResult>> {
  const counts = [...o.clients].sort((a, b) => a - b);
  return withSession(targetSpec, o, progress, counts[counts.length - 1]!, async (s) => {
    const result: RoomResult = { scenario: 'room', warmupS: o.warmupS, points: [] };
    const problems: string[] = [];
    let have = 0;
    let inRoom = 0;
    for (const [k, n] of counts.entries()) {
      const logins = await loginRange(s, have, n, 0);
      have = n;
      inRoom += logins.ok;
      requireLogins(s, inRoom, logins.errors);
      problems.push(...loginProblems(logins));
      await settle(s);
      const ids = Array.from({ length: n }, (_, i) => i);
      await warmUp(s, o.warmupS, { clients: inRoom, senders: ids, rate: o.rate, label: `room ${n}` });
      const point = await runBroadcast(s, { phase: k + 1, clients: inRoom, senders: ids, rate: o.rate, durationS: o.durationS, label: `room ${n}` });
      problems.push(...broadcastProblems(point, `${n} clients`));
      result.points.push({ ...point, logins });
    }
    return { result, problems };
  });
}
