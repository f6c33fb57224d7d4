import { nameProblem } from '../../core/names.js';
import { DEFAULTS } from '../../core/limits.js';
import type { TextSession } from './session.js';

/**
 * The `/command` table of the text protocol: one gate (runCommand) looks commands up, checks the
 * admin flag and hands over the rest of the line. Add a command by adding an entry; /help lists it.
 */
export interface TextCommand {
  /** Shown by /help, e.g. `/join <room>`. */
  readonly usage: string;
  readonly help: string;
  /** Only admin accounts may run it (and only they see it in /help). */
  readonly admin?: boolean;
  run(session: TextSession, arg: string): void;
}

const COMMANDS = new Map<string, TextCommand>();

/** Registers commands; called at module load by each command file. */
export function defineCommands(table: Record<string, TextCommand>): void {
  for (const [name, cmd] of Object.entries(table)) COMMANDS.set(name, cmd);
}

/** Runs one `/...` line. Unknown commands get a notice; nothing starting with `/` is ever broadcast. */
export function runCommand(session: TextSession, line: string): void {
  const space = line.indexOf(' ');
  const name = (space === -1 ? line.slice(1) : line.slice(1, space)).toLowerCase();
  const arg = space === -1 ? '' : line.slice(space + 1).trim();
  const cmd = COMMANDS.get(name);
  if (!cmd || (cmd.admin && !session.admin)) {
    if (cmd) return session.notice(`/${name} is for admins only.`);
    return session.notice(`Unknown command /${name.slice(0, 32)}. Type /help.`);
  }
  cmd.run(session, arg);
}

defineCommands({
  help: {
    usage: '/help',
    help: 'this list',
    run(s) {
      s.notice('Commands:');
      for (const cmd of COMMANDS.values()) if (!cmd.admin || s.admin) s.notice(`  ${cmd.usage.padEnd(16)} ${cmd.help}`);
      s.notice('  @user message    private message');
      s.notice("  exit             leave (same as /quit)");
    },
  },
  who: {
    usage: '/who',
    help: 'who is online, and in which room',
    run(s) {
      const list = s.ctx.hub.who();
      s.notice(`Online (${list.length}): ${list.map((u) => `${u.name} (${u.room})`).join(', ')}`);
    },
  },
  rooms: {
    usage: '/rooms',
    help: 'rooms and how many are in each',
    run(s) {
      const list = s.ctx.hub.roomList();
      s.notice(`Rooms (${list.length}): ${list.map((r) => `${r.room} (${r.count})`).join(', ')}`);
    },
  },
  join: {
    usage: '/join <room>',
    help: 'move to a room (created on first use)',
    run(s, arg) {
      const room = arg.startsWith('#') ? arg.slice(1) : arg;
      if (room === '') return s.notice('Use: /join <room>');
      if (nameProblem(room, DEFAULTS.roomMaxLength) !== null) return s.notice(`Invalid room name: room names are 1-32 letters, digits, _ or -.`);
      const result = s.ctx.hub.move(s, room);
      if (result === 'same-room') return s.notice(`You are already in room ${room}.`);
      if (result === 'too-many-rooms') return s.notice('Too many rooms exist; join an existing one (see /rooms).');
      s.notice(`You are now in room ${room}.`);
    },
  },
  me: {
    usage: '/me <action>',
    help: 'an action, e.g. /me waves',
    run(s, arg) {
      if (arg === '') return s.notice('Use: /me <action>');
      s.messagesIn++;
      s.ctx.counters.messagesIn++;
      s.ctx.hub.act(s, arg);
      s.ctx.log.message('ACTION', `${s.name} ${arg}`, { user: s.name, room: s.room });
    },
  },
  quit: {
    usage: '/quit',
    help: 'leave the chat',
    run(s) {
      s.quit('CLIENT_EXIT');
    },
  },
});
