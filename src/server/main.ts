/**
 * `chat-server` entry point. With no subcommand it runs the server; subcommands are tools that
 * share the same install: `users` (accounts file), `simulate` (flow-control experiment), `bench`,
 * `history` (export and import what --data-dir keeps), `cluster` (the nodes sharing a Redis).
 */
type SubMain = (argv: string[]) => Promise<number>;

const SUBCOMMANDS: Record<string, () => Promise<SubMain>> = {
  users: async () => (await import('./users-cli.js')).runUsersCli,
  simulate: async () => (await import('./simulate-cli.js')).runSimulateCli,
  bench: async () => (await import('../bench/cli.js')).runBenchCli,
  history: async () => (await import('./history-cli.js')).runHistoryCli,
  cluster: async () => (await import('./cluster-cli.js')).runClusterCli,
};

async function main(argv: string[]): Promise<number> {
  const sub = argv[0] !== undefined ? SUBCOMMANDS[argv[0]] : undefined;
  if (sub) return (await sub())(argv.slice(1));
  return (await import('./serve.js')).runServe(argv);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`chat-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
