import type { Scenario } from './options.js';

const COMMON = `Target and generator:
  --target T            chat (default: start our server), reference (the bench's minimal fan-out
                        server), redis (start redis-server, drive SUBSCRIBE/PUBLISH),
                        ngircd / inspircd (start that IRC daemon with a temp config, no flood or
                        clone limits), tcp://127.0.0.1:PORT (a text-protocol server already
                        running, e.g. the seed), ws://127.0.0.1:PORT/ws (our server's browser
                        protocol, already running) or irc://127.0.0.1:PORT (any IRC server running);
                        several addresses of one scheme, comma-separated (tcp://127.0.0.1:P1,
                        tcp://127.0.0.1:P2), are the nodes of a running cluster: clients are dealt
                        over them round-robin
  --nodes N             (--target chat) start a throw-away redis-server and N nodes of our server
                        on it (--redis URL --node-name nodeI), wait until every node has seen the
                        other N-1, and deal clients over them (client i to node i mod N), for every
                        --proto (default 1: a plain server). Server CPU and RSS are the sum over
                        the nodes; Redis's CPU is shown apart
  --via-redis           with --nodes 1: one node on Redis, to measure the Redis hop against a plain
                        server (implied by --nodes 2 and more)
  --proto text|ws|irc   how to speak to our server (--target chat): the text protocol (default),
                        the browser protocol, JSON over WebSocket on its web port (--http-port 0),
                        or IRC on its IRC port (--irc-port 0): PASS/NICK/USER, JOIN #bench,
                        PRIVMSG #bench; ngircd, inspircd and irc:// targets always speak IRC
  --workers N           generator processes (default 2, or 1 on one core; more are added so no
                        process holds over 9,000 sockets)
  --user-pattern P      user name of client i, {i} is 1-based (default user{i})
  --pass-pattern P      its password (default user{i}p: the seed's accounts)
  --server-pid PID[,PID...]
                        server processes for RSS/CPU readings (summed) of tcp://, ws:// or irc:// targets
  --server-args "..."   extra flags for our server (--target chat)
  --node-args "..."     node flags for our server, e.g. "--cpu-prof --cpu-prof-dir=bench/profiles"
  --concurrency N       logins in flight (default 200)
  --login-timeout S     per-login bound (default 30)
  --channel NAME        Redis channel, and the IRC channel without # (default bench)
Output:
  --json                print the JSON report on stdout instead of the table
  --results-dir DIR     where the timestamped JSON goes (default bench/results)
  --no-save             do not write the JSON file
  --help                this help`;

export const SCENARIO_HELP: Record<Scenario, string> = {
  room: `chat-server bench room [options]

N clients log in and sit in one room; every client sends, together R messages/s, evenly staggered,
for D seconds; each message carries its sender, sequence number and send time. Reports deliveries/s,
loss % (counted per sender after a drain), latency p50/p99/max and logins/s.

  --clients N[,N...]    clients in the room (default 1000); a list runs one point per count,
                        growing the room, for the chart
  --rate R              messages per second from all senders together (default 100)
  --duration D          seconds of sending (default 10)
  --warmup S            seconds of unmeasured sending at the same rate before each point, so JIT
                        and buffer growth (server and generator) are not measured (default 2; 0 = none)
  --drain S             longest wait for outstanding deliveries after sending (default 10)
  --svg FILE            also write the latency/throughput chart of the points

${COMMON}`,
  firehose: `chat-server bench firehose [options]

--clients (default 100) in one room, --senders (default 10) of them send; the offered rate rises in
steps. Reports each step and the highest rate with zero loss and p99 under --max-p99.

  --steps R,R,...       offered rates in msgs/s (default 5000,10000,20000,40000,60000,80000)
  --step-duration S     seconds per step (default 5)
  --warmup S            seconds of unmeasured sending at the first step's rate (default 2; 0 = none)
  --senders N           (default 10)
  --max-p99 MS          latency bound of a passing step (default 100)
  --keep-going          run every step even after one fails
  --drain S             longest drain after each step (default 10)

${COMMON}`,
  idle: `chat-server bench idle [options]

N connections log in and stay; reports how many are still alive after --duration and the server's
RSS per connection above the empty server (VmRSS from /proc: the bench's own target, or --server-pid).

  --clients N           connections (default 1000)
  --duration S          seconds to stay (default 60)
  --rooms K             spread the clients over K rooms (/join) or Redis channels, so the login
                        storm does not cost N²/2 join announcements (default 0: all in the lobby)

${COMMON}`,
  logins: `chat-server bench logins [options]

Connections + logins per second: --concurrency sessions in flight, each looping connect, log in,
exit, wait for the server's close, until --count sessions or --duration seconds.

  --concurrency N       sessions in flight, also the number of distinct users (default 100)
  --count N             sessions in total (default 20000)
  --duration S          upper bound in seconds (default 30)

${COMMON}`,
};

export const COMPARE_HELP = `chat-server bench compare <scenario> [--target A --target B [--target C [--target D]] | --protos P,Q [--target T]] [scenario options]

Runs the scenario against A, then against B (default: chat, then redis), and C and D when given,
with the same options, and prints every table and the ratios A/B (A/C, A/D) of the headline
figures. --proto applies to chat; ngircd, inspircd and irc:// speak IRC, ws:// WebSocket, e.g.
\`bench compare room --target chat --proto irc --target ngircd --target inspircd\`. With --protos
text,ws (or text,irc) it runs one target (default chat: our server, started afresh for each run)
once per protocol instead, e.g. \`bench compare room --protos text,irc --clients 1000\`.`;

export const BENCH_HELP = `chat-server bench <scenario> [options]     load generator and report for chat servers

Scenarios:
  room        N clients in one room, all sending: deliveries/s, loss, latency, logins/s
  firehose    100 clients, 10 senders, rising rate: highest lossless rate with p99 < 100 ms
  idle        N idle logged-in connections: alive after 60 s, server RSS per connection
  logins      connections + logins per second
  hostile     our server under attack on every listener while two users chat and new users log
              in: server RSS over idle, login times, chat lines in order (\`bench hostile --help\`)
  compare <scenario> --target A --target B [--target C ...]
              the same scenario against 2-4 targets in one run, with ratios (default chat vs redis)
  compare <scenario> --protos text,ws|text,irc [--target chat]
              the same scenario against our server over two protocols in one run
  chart FILE... --out FILE.svg [--title T]
              SVG of room results (latency and deliveries/s against clients), one line per file

Each scenario prints a table (or JSON with --json), writes bench/results/<scenario>-<target>-<time>.json
and shows progress on stderr when it is a terminal. \`chat-server bench <scenario> --help\` lists options.
Exit status: 0 when the run completed (loss is reported, not an error), 1 on failure (also when no
client could log in, e.g. a wrong --pass-pattern or a target that refuses), 2 on bad usage.`;
