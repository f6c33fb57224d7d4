import { createServer, type Socket } from 'node:net';

/**
 * The bench's reference target: the smallest fan-out server that speaks the same login prompts in
 * open mode (any name, any password) and relays `<user>: <text>` to everyone else. No rooms, queues,
 * announcements or checks; lines starting with `/` are ignored. Measuring it shows what the load
 * generator can drive on this machine, i.e. that the generator is not the bottleneck.
 * Run: node dist/src/bench/reference-server.js [port]; prints `Chat server running on HOST:PORT`.
 */
const clients = new Set<Socket>();
/**
 * Output is coalesced per recipient and written once per event-loop turn, as Redis does with its
 * output buffers: one write per message per recipient would make this server the bottleneck.
 */
const pending = new Map<Socket, Buffer[]>();
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const [sock, bufs] of pending) sock.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
  pending.clear();
}

function queue(sock: Socket, out: Buffer): void {
  const list = pending.get(sock);
  if (list === undefined) pending.set(sock, [out]);
  else list.push(out);
  if (!flushScheduled) { flushScheduled = true; setImmediate(flush); }
}

function serve(sock: Socket): void {
  let buf = '';
  let step = 0;
  let name = '';
  sock.setNoDelay(true);
  sock.on('error', () => sock.destroy());
  sock.on('close', () => { clients.delete(sock); pending.delete(sock); });
  sock.write('Enter username: ');
  sock.on('data', (chunk: Buffer) => {
    buf += chunk.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (step === 0) { name = line.trim(); step = 1; sock.write('Enter password: '); continue; }
      if (step === 1) { step = 2; clients.add(sock); sock.write(`Welcome ${name}! Type 'exit' to leave.\n`); continue; }
      if (line.toLowerCase() === 'exit') { sock.end(); return; }
      if (line.length === 0 || line.startsWith('/')) continue;
      const out = Buffer.from(`${name}: ${line}\n`, 'latin1');
      for (const c of clients) if (c !== sock) queue(c, out);
    }
  });
}

const server = createServer(serve);
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const a = server.address();
  if (a !== null && typeof a === 'object') process.stdout.write(`Chat server running on ${a.address}:${a.port}\n`);
});
const stop = (): void => { for (const c of clients) c.destroy(); server.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
