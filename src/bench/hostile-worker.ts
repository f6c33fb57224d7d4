import { Attacker, type AttackKind, type AttackPlan, type AttackStats } from './hostile-attacks.js';

/**
 * An attacker process of `bench hostile` (forked by hostile.ts; the hostile soak test forks it
 * too). argv[2] is the JSON of a HostileWorkerJob. It reports its counters every second and once
 * more when done (`HostileWorkerReport` messages), then exits: at the plan's deadline, or at once
 * when its parent goes away.
 */

export interface HostileWorkerJob {
  readonly plan: AttackPlan;
  readonly kinds: readonly AttackKind[];
}

export interface HostileWorkerReport {
  readonly done: boolean;
  readonly stats: Record<string, AttackStats>;
}

const job = JSON.parse(process.argv[2] ?? '{}') as HostileWorkerJob;
const attacker = new Attacker(job.plan);
const report = (done: boolean, then?: () => void): void => {
  const msg: HostileWorkerReport = { done, stats: Object.fromEntries(attacker.stats) };
  if (process.send === undefined) then?.();
  else process.send(msg, () => then?.());
};
const ticker = setInterval(() => report(false), 1000);
process.on('disconnect', () => {
  attacker.stop();
  process.exit(0);
});
await attacker.run(job.kinds);
clearInterval(ticker);
report(true, () => process.exit(0));
