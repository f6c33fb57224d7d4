/**
 * Every limit and default of the server, in one commented object. Config (src/server/config.ts)
 * maps CLI flags, env vars and the config file onto these names; nothing else in the code base
 * may hard-code a limit. When you add a limit, add it here with a comment saying what it bounds.
 */
export const DEFAULTS = {
  /** Address the plain TCP listener binds. Loopback by default: opening to a network is a choice. */
  host: '127.0.0.1',
  /** The seed's fixed port. */
  port: 5693,

  /** Longest accepted input line in bytes, excluding the line ending. Bounds each connection's line buffer. */
  maxLine: 4096,
  /**
   * Quiet period (ms) after an unterminated username before the connection is treated as the seed's
   * Python client, which sends every input without a newline and relies on one recv() = one message.
   */
  legacyQuietMs: 150,

  /** Per-recipient outgoing queue, in messages, as the seed's queue.Queue(MAX_QUEUE=10). */
  queueSize: 10,
  /** Per-recipient outgoing bound in bytes: queued messages plus what the socket still holds. */
  queueBytes: 64 * 1024,
  /** What happens to a message for a full queue: drop it, drop the oldest queued, or disconnect. */
  overflow: 'drop-newest' as 'drop-newest' | 'drop-oldest' | 'disconnect',
  /** A recipient whose socket has not drained for this long (ms) is closed. */
  drainTimeoutMs: 60_000,
  /** Artificial delay (ms) between messages sent to every client; 0 = none. */
  sendDelayMs: 0,
  /** Upper bound of --send-delay, --slow and /slow (ms). */
  maxSendDelayMs: 60_000,
  /** Simulated per-client link bandwidth in bytes per second (token bucket); 0 = unlimited. */
  linkRate: 0,
  /** Congestion control of the per-recipient outbox. */
  cc: 'aimd' as 'aimd' | 'none',
  /** AIMD congestion window bounds, in messages handed to the kernel before the next drain. */
  cwndInitial: 16,
  cwndMin: 1,
  cwndMax: 1024,

  /** Inbound flood control per sender: sustained messages per second (0 = off) and burst. */
  floodRate: 10,
  floodBurst: 20,
  floodPolicy: 'delay' as 'delay' | 'reject',

  /** Seconds between [STATS] log lines; 0 = off. */
  statsIntervalS: 10,
  /** Prometheus /metrics port; 0 = off. Binds metricsHost. */
  metricsPort: 0,
  metricsHost: '127.0.0.1',

  /** Connections that have not logged in after this many ms are closed. */
  loginTimeoutMs: 30_000,
  /** Failed logins allowed per IP within authThrottleWindowMs before that IP is refused. */
  authFailuresPerWindow: 5,
  authThrottleWindowMs: 60_000,
  /** How long (ms) a throttled IP is refused. */
  authThrottleBanMs: 60_000,
  /** Upper bound on tracked IPs in the throttle table (oldest evicted first). */
  authThrottleMaxEntries: 100_000,
  /**
   * Password checks run at once (scrypt runs on libuv's thread pool, 4 threads by default): more
   * in parallel would only queue inside libuv, where a check whose client hung up can no longer be
   * dropped. Checks beyond this wait in our own queue (src/core/verify-queue.ts).
   */
  authVerifyConcurrency: 4,
  /**
   * Password checks run at once for one address. Its other checks wait (served round-robin with
   * other addresses), and each asks the throttle when its turn comes, so a burst of guesses is
   * stopped by the ban its first failures start instead of all being checked.
   */
  authVerifyPerIp: 2,
  /** Invalid usernames tolerated at the text protocol's prompt before the connection is closed. */
  maxBadNames: 3,
  /**
   * Concurrent connections, total and per remote IP. A socket holds its slot from accept, on every
   * listener and before any protocol runs (a TLS handshake, HTTP headers, a WebSocket upgrade),
   * until it closes (src/net/listeners.ts).
   */
  maxClients: 10_000,
  maxPerIp: 100,
  /**
   * Open files kept out of --max-clients when it is compared with the process's open-file limit
   * (ulimit -n): the server's own (about 25 at start: Node itself, the listeners, the log, the
   * SQLite files; a few more per Redis connection) and the sockets being refused (refusalsMax).
   * When --max-clients plus this does not fit, the server says so at start and accepts fewer.
   */
  fdReserve: 100,
  /**
   * Refused sockets answered at once (each for at most shutdownFlushMs, plus the TLS handshake
   * time on a TLS port). Past it a refused socket is closed without a word, so a flood of refused
   * connections cannot use up the descriptors that fdReserve keeps.
   */
  refusalsMax: 32,
  /**
   * How often (ms) the server checks that it can still open a file. Out of descriptors, libuv
   * accepts each new connection and closes it at once without telling Node, so this check is the
   * only way such closes reach the log.
   */
  fdProbeIntervalMs: 1_000,
  /** At most one log line per this many ms about failing accepts; the failures in between are counted in the next. */
  acceptErrorLogIntervalMs: 10_000,
  /** Close sessions with no input for this many ms; 0 = never. */
  idleTimeoutMs: 0,
  /**
   * TCP keepalive: the first probe comes after this many ms of silence plus a random share of it
   * (up to twice as long), so dead peers are found and their leave announced. The random share is
   * there because connections that arrive together would otherwise probe together: 19,000 idle
   * connections logged in within seconds sent their probes in bursts that overflowed the kernel's
   * loopback queue, the probes went unanswered, and the kernel reset 759 to 1,001 of them.
   */
  keepaliveMs: 30_000,
  /**
   * A TLS client must finish its handshake within this many ms. Its socket holds a --max-clients
   * slot from accept, so this bounds how long a peer that connects and never speaks TLS holds one.
   */
  tlsHandshakeTimeoutMs: 10_000,

  /** Web client and WebSocket listener (HTTP); null = off. Binds --http-host (default: --host). */
  httpPort: 8080 as number | null,
  /**
   * HTTP on the web port. Every socket there holds a --max-clients slot from accept until it is
   * upgraded (the WebSocket keeps the slot) or closed, so each wait before an upgrade is bounded:
   * the request headers must arrive within httpHeadersTimeoutMs of the connection (or of the
   * previous answer on a kept-alive socket), the whole request within httpRequestTimeoutMs.
   */
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 30_000,
  /** A kept-alive HTTP socket with no request in progress is closed after this many ms. */
  httpKeepAliveTimeoutMs: 5_000,
  /** An HTTP socket on which nothing moved either way for this long (ms) is closed (a client that does not read its answer). */
  httpIdleTimeoutMs: 30_000,
  /** How often (ms) the header and request times are checked: either may be overrun by up to this much. */
  httpTimeoutCheckMs: 1_000,
  /**
   * Host names the web port answers to besides IP literals, localhost and --server-name
   * (--web-hosts); '*' is any. A request for any other name is refused (421): a DNS-rebinding page
   * is same-origin with the server as far as the browser knows, so only its Host gives it away.
   */
  webHosts: [] as readonly string[],
  /** Largest WebSocket message (bytes) a client may send, fragmented or not; a longer one closes the connection (1009). */
  wsMaxPayload: 16 * 1024,
  /**
   * Most frames one WebSocket message may come in; one more closes the connection (1008). Bounds the
   * fragments held in pieces, as wsMaxPayload bounds them in bytes: without it, empty continuation
   * frames (6 bytes on the wire, ~100 bytes of heap each) grew one message without end. Browsers
   * send a message in one frame; 64 lets a client fragment 16 KiB in 256-byte pieces.
   */
  wsMaxFragments: 64,
  /**
   * Messages a WebSocket client not logged in may send that get an error (garbage, anything but
   * `login`) before the connection is closed (1008, PROTOCOL_ERROR), as maxBadNames at the text
   * prompt: the page logs in first, so a client that does not is not the page.
   */
  wsMaxBadMessages: 3,
  /**
   * A ping is answered only while the socket holds less than this unsent (RFC 6455 5.5.3 lets a
   * pong be skipped): a pong is never queued, so a ping flood from a client that does not read
   * grows nothing.
   */
  wsPongBacklogBytes: 64 * 1024,
  /** A WebSocket client silent this long (ms) is pinged; one that stays silent another interval is closed. */
  wsPingIntervalMs: 30_000,
  /** Users and rooms in one WebSocket presence snapshot (the rest is marked truncated; /who pages through all). */
  wsPresenceMax: 250,

  /** Room history kept per room (--history); older entries are deleted. */
  historyPerRoom: 1000,
  /**
   * The in-memory store's bounds in bytes (about 2 per character): per room, and in all rooms
   * together, the least recently written room losing its oldest lines first. Without them,
   * --history 1000 lines of 4 KiB in each of 10,000 rooms could hold 40 GB.
   */
  historyRoomBytes: 256 * 1024,
  historyMemoryBytes: 64 * 1024 * 1024,
  /** /history without a number replays this many lines. */
  historyDefault: 20,
  /** Private messages stored per offline recipient (--offline-limit); beyond, the sender is told the box is full. */
  offlineLimit: 100,
  /** Stored entries older than this many days are purged (--retention). */
  retentionDays: 30,
  /** How often (ms) the store is purged of entries past the retention. */
  purgeIntervalMs: 60 * 60 * 1000,
  /** IRC listener (plain); null = off. Binds --irc-host (default: --host). A busy default port is a warning, not an error. */
  ircPort: 6667 as number | null,
  /** An IRC client silent this long (ms) is sent PING; one that stays silent another interval is closed (PING_TIMEOUT). */
  ircPingIntervalMs: 90_000,
  /** Most lines one IRC CHATHISTORY request returns (ISUPPORT CHATHISTORY=; less when --history is less). */
  ircChathistoryMax: 100,
  /** The IRC server name when --server-name is not given and the machine has no host name. */
  serverName: 'chatd.local',

  /**
   * A cluster node not heard from for this long (ms) is declared dead: its users' leaves are
   * announced and their names freed (--node-timeout). Leases live as long; renewals and heartbeats
   * every third of it. Shorter finds a crash sooner and declares a node dead after a shorter stall.
   */
  nodeTimeoutMs: 10_000,
  /**
   * Most users of other nodes one node keeps track of (their names and rooms, ~200 bytes each):
   * bounds what a misbehaving peer can make a node hold. 50 nodes of 19,000 users fit.
   */
  clusterMaxRemoteUsers: 1_000_000,
  /** A Redis command (claim, renew) that has not answered in this long (ms) fails: a login then gets 'unavailable'. */
  redisCommandTimeoutMs: 2_000,

  /**
   * V8's old generation may grow this many percent past what survived the last full collection
   * before it collects again (src/server/heap.ts). The live heap is small; under floods of hostile
   * connections and input the rest is short-lived garbage, which V8's own factor (up to 300 %)
   * let pile up: the hostile soak's peak heap went from 58-61 to 47-55 MiB and its RSS over idle
   * from +63-65 to +48-57 MiB (docs/benchmarks.md, "Hostile soak"), with no measurable cost in the
   * room benchmark. `node --heap-growing-percent=N` overrides it (0: V8's own factor).
   */
  heapGrowingPercent: 10,

  /** Bounded wait (ms) at shutdown for queued output to flush before sockets are destroyed. */
  shutdownFlushMs: 2_000,

  /** Username rule, shared by login and the account tools. */
  nameMaxLength: 32,
  /** Room names: same alphabet as usernames. */
  roomMaxLength: 32,
  /** Rooms that may exist at once (empty rooms are removed). */
  maxRooms: 10_000,
  /** Rooms one user may be in at once (the text protocol uses one; IRC and WebSocket users more). */
  maxRoomsPerUser: 20,
  /** Longest QUIT reason relayed to others, in characters. */
  quitReasonMaxLength: 100,
  /** Longest room topic, in characters. */
  topicMaxLength: 300,
  /**
   * Names per /who and /rooms reply (at most ~17 KB with 32-character names and rooms): command
   * output counts in the user's own outbox bounds (--queue-bytes, 64 KiB), and one reply for
   * 10,000 users would be a 300 KB line. Longer lists are paged.
   */
  listPageSize: 250,
  /** Room (bytes) a command needs in the user's outbox before it runs; a user further behind has it refused. */
  commandReplyReserve: 256,
  /** Rows per /stats all reply (a table row is ~80 bytes). */
  statsPageSize: 50,
  /** Characters of user input echoed back in an error (an unknown command, an unknown @name). */
  echoMaxLength: 32,
  /** The room everyone starts in. */
  defaultRoom: 'lobby',
  /**
   * Join/leave notices go only to rooms with at most this many members (0 = always). Above it a
   * login would cost a notice per member: quadratic work when a crowd arrives.
   */
  announceLimit: 1000,
  /**
   * Join/leave notices are held this long (ms) and sent to each member as one chunk: a crowd of N
   * arriving then costs N writes per batch instead of N² in all. Short enough that nobody notices;
   * never reordered with chat (a message sends its room's held notices first). 0 = send at once.
   */
  noticeDelayMs: 50,
} as const;

export type Defaults = typeof DEFAULTS;
export type OverflowPolicy = Defaults['overflow'];
export type CcMode = Defaults['cc'];
export type FloodPolicy = Defaults['floodPolicy'];
