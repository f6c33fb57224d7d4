import * as actions from '../actions.js';
import type { Page } from '../actions.js';
import { DEFAULTS } from '../limits.js';
import type { ChatMember } from '../member.js';
import { FLOW_COMMANDS } from './commands-flow.js';
import { echo, pageArg, pageNote, reply } from './reply.js';
import { replay } from '../history.js';

/**
 * The `/command` table, shared by every protocol whose users type commands (the text protocol, the
 * browser's message box): a parser onto src/core/actions.ts, and the renderer of their results as
 * notices in the member's own protocol (`[SERVER] ...` lines in the text protocol). One gate
 * (runCommand) looks commands up, checks the admin flag and hands over the rest of the line. Add a
 * command by adding an entry; /help lists it.
 */

/** Where a command was typed. */
export interface CommandScope {
  /** The room it applies to (/me, /topic): the text user's one room, the room a browser shows. */
  readonly room: string;
  /** The user may be in several rooms: /join adds a room and /part leaves one (else /join moves). */
  readonly multiRoom: boolean;
  /**
   * What /help lists after the shared commands: what this protocol itself understands, in its own
   * syntax (the text protocol's `@user message` and `exit`), as [usage, meaning]. Core has no
   * protocol syntax of its own to print.
   */
  readonly help?: readonly HelpEntry[];
  /**
   * Holds the session's input until `work` settles, so the answer of an asynchronous command
   * (/history reads the store) comes before the answers of the commands typed after it.
   */
  readonly wait: (work: Promise<unknown>) => void;
}

/** One /help row: the usage (`/join <room>`) and what it does. */
export type HelpEntry = readonly [usage: string, meaning: string];

export interface TextCommand {
  /** Shown by /help, e.g. `/join <room>`. */
  readonly usage: string;
  readonly help: string;
  /** /help's text where the user may be in several rooms (CommandScope.multiRoom), when it differs. */
  readonly multiRoomHelp?: string;
  /** Only where the user may be in several rooms: /help lists it nowhere else. */
  readonly multiRoomOnly?: boolean;
  /** Only admin accounts may run it (and only they see it in /help). */
  readonly admin?: boolean;
  run(m: ChatMember, arg: string, scope: CommandScope): void;
}

function roomsText(rooms: readonly string[]): string {
  return rooms.length === 0 ? 'no room' : rooms.join(' ');
}

/** A paged list: `/who`, `/who 2`; one line `Title (total): a, b, c` plus the page note. */
function listCommand<T>(name: string, help: string, title: string, list: (m: ChatMember, page: number) => Page<T>, item: (x: T) => string): TextCommand {
  return {
    usage: name,
    help: `${help} (${name} 2: the second page)`,
    run(m, arg) {
      const page = pageArg(arg);
      if (page === undefined) return reply(m, `Use: ${name} or ${name} <page>`);
      const p = list(m, page);
      reply(m, `${title} (${p.total}): ${p.items.map(item).join(', ')}${pageNote(p, name)}`);
    },
  };
}

const BASIC_COMMANDS: Readonly<Record<string, TextCommand>> = {
  help: {
    usage: '/help',
    help: 'this list',
    run(m, _arg, scope) {
      const rows: HelpEntry[] = [];
      for (const cmd of COMMANDS.values()) {
        if ((cmd.admin === true && !m.admin) || (cmd.multiRoomOnly === true && !scope.multiRoom)) continue;
        rows.push([cmd.usage, (scope.multiRoom ? cmd.multiRoomHelp : undefined) ?? cmd.help]);
      }
      rows.push(...(scope.help ?? []));
      reply(m, 'Commands:', ...rows.map(([usage, meaning]) => `  ${usage.padEnd(16)} ${meaning}`));
    },
  },
  who: listCommand('/who', 'who is online, and in which room', 'Online', (m, page) => actions.who(m, page), (u) => `${u.name} (${roomsText(u.rooms)})`),
  rooms: listCommand('/rooms', 'rooms and how many are in each', 'Rooms', (m, page) => actions.rooms(m, page), (r) => `${r.room} (${r.count})`),
  join: {
    usage: '/join <room>',
    help: 'move to a room (created on first use)',
    multiRoomHelp: 'join a room as well (created on first use)',
    run(m, arg, scope) {
      if (arg === '' || arg === '#') return reply(m, 'Use: /join <room>');
      const result = scope.multiRoom ? actions.join(m, arg) : actions.move(m, arg);
      // Rooms are case-insensitive: shown as the room is spelt (`/join DEV` enters `dev`).
      const room = m.ctx.hub.spelling(arg.startsWith('#') ? arg.slice(1) : arg);
      switch (result) {
        case 'invalid-name':
          return reply(m, `Invalid room name: room names are 1-${DEFAULTS.roomMaxLength} letters, digits, _ or -.`);
        case 'same-room':
        case 'already-in':
          return reply(m, `You are already in room ${room}.`);
        case 'too-many-rooms':
          return reply(m, 'Too many rooms exist; join an existing one (see /rooms).');
        case 'too-many-joined':
          return reply(m, `You are in ${m.rooms.size} rooms, the most allowed; /part one first.`);
        case 'joined':
        case 'moved':
          return reply(m, `You are now in room ${room}.`);
      }
    },
  },
  part: {
    usage: '/part <room>',
    help: 'leave one of your rooms (this one when no room is named)',
    multiRoomOnly: true,
    run(m, arg, scope) {
      if (!scope.multiRoom) return reply(m, 'You are always in one room; use /join <room> to change rooms.');
      const target = arg === '' ? scope.room : arg;
      switch (actions.part(m, target)) {
        case 'invalid-name':
          return reply(m, 'Use: /part <room>');
        case 'not-in-room':
          return reply(m, `You are not in room ${echo(target)}.`);
        case 'parted':
          return reply(m, `You left room ${target.startsWith('#') ? target.slice(1) : target}.`);
      }
    },
  },
  topic: {
    usage: '/topic <text>',
    help: "set your room's topic (/topic alone shows it, /topic - clears it)",
    run(m, arg, scope) {
      const room = scope.room;
      if (arg === '') {
        const t = actions.topic(m, room);
        return reply(m, t === undefined ? `No topic is set in ${room}.` : `Topic of ${room}: ${t.text} (set by ${t.by} at ${new Date(t.at).toISOString().slice(0, 19).replace('T', ' ')} UTC)`);
      }
      // The [TOPIC] line to the whole room, the setter included, is the confirmation.
      actions.setTopic(m, room, arg === '-' ? '' : arg);
    },
  },
  history: {
    usage: '/history <n>',
    help: `the room's last n lines (/history alone: the last ${DEFAULTS.historyDefault})`,
    run(m, arg, scope) {
      const n = arg === '' ? DEFAULTS.historyDefault : /^\d{1,7}$/.test(arg) ? Number(arg) : 0;
      if (n <= 0) return reply(m, 'Use: /history or /history <n>');
      scope.wait(replay(m, scope.room, Math.min(n, m.ctx.store.limits.history), 'End of history.'));
    },
  },
  me: {
    usage: '/me <action>',
    help: 'an action, e.g. /me waves',
    run(m, arg, scope) {
      const result = actions.act(m, scope.room, arg);
      if (result === 'empty') reply(m, 'Use: /me <action>');
      else if (result === 'not-in-room') reply(m, `You are not in room ${scope.room}.`);
    },
  },
  quit: {
    usage: '/quit',
    help: 'leave the chat',
    run(m) {
      actions.quit(m);
    },
  },
};

const COMMANDS: ReadonlyMap<string, TextCommand> = new Map(Object.entries({ ...BASIC_COMMANDS, ...FLOW_COMMANDS }));

/** Runs one `/...` line. Unknown commands get a notice; nothing starting with `/` is ever broadcast. */
export function runCommand(m: ChatMember, line: string, scope: CommandScope): void {
  if (!m.readyForCommand()) return;
  const space = line.indexOf(' ');
  const typed = space === -1 ? line.slice(1) : line.slice(1, space);
  const arg = space === -1 ? '' : line.slice(space + 1).trim();
  const cmd = COMMANDS.get(typed.toLowerCase());
  if (cmd === undefined) return reply(m, `Unknown command /${echo(typed)}. Type /help.`);
  if (cmd.admin === true && !m.admin) return reply(m, `/${typed.toLowerCase()} is for admins only.`);
  cmd.run(m, arg, scope);
}
