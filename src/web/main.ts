// The page's wiring: the login form, the Link (socket and reconnects), the state and the view.
// Frames from the server update the state and add lines; the composer turns what the user types
// into frames (lines starting with / or @ go to the server's command table as they are).
import type { ClientMessage, ServerMessage } from '../protocols/ws/messages.js';
import { Link, type LinkEvents } from './connection.js';
import { byId } from './dom.js';
import { Drawers } from './drawers.js';
import { EarlierMessages } from './earlier.js';
import { mentions, refusalText, seconds } from './format.js';
import type { Line } from './log.js';
import { Notifier } from './notify.js';
import { ChatState, privateKey, roomKey, type ConvKey } from './state.js';
import { ChatView } from './view.js';

/** How often the flow figures are refreshed while the page is in sight. */
const STATS_EVERY_MS = 5000;
/** How often the snapshot of everyone online is refreshed: live frames only cover the user's own rooms. */
const PRESENCE_EVERY_MS = 60_000;
const ROOM_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const HISTORY = 50;

const loginScreen = byId('login-screen', HTMLDivElement);
const chatScreen = byId('chat-screen', HTMLDivElement);
const loginForm = byId('login-form', HTMLFormElement);
const loginUser = byId('login-user', HTMLInputElement);
const loginPassword = byId('login-password', HTMLInputElement);
const loginButton = byId('login-button', HTMLButtonElement);
const loginError = byId('login-error', HTMLParagraphElement);
const composer = byId('composer', HTMLFormElement);
const message = byId('message', HTMLTextAreaElement);
const joinForm = byId('join-form', HTMLFormElement);
const joinRoomInput = byId('join-room', HTMLInputElement);

const state = new ChatState();
const view = new ChatView(state, { open, join, older: (room) => earlier.older(room) });
const earlier = new EarlierMessages((msg) => link.send(msg), {
  show: (room, lines, shown) => view.earlier(room, lines, shown),
  full: (room) => view.full(room),
});
const notifier = new Notifier(byId('notify-offer', HTMLDivElement), byId('notify-on', HTMLButtonElement), byId('notify-later', HTMLButtonElement), open);
const drawers = new Drawers([
  ['rooms-toggle', 'rooms-panel'],
  ['members-toggle', 'members-panel'],
]);

/** A room the user asked to enter: shown as soon as the server says they are in. */
let pendingRoom: string | null = null;
/** Rooms entered again after a reconnect: their "You joined" line would only be noise. */
const rejoining = new Set<string>();
/** The last room shown, where commands typed in a private conversation apply. */
let lastRoom = 'lobby';
let countdown: ReturnType<typeof setInterval> | undefined;
const history: string[] = [];
let historyAt = 0;

const events: LinkEvents = { online, frame, refused, waiting, ended };
const link = new Link(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, events);

// --- login ---

function showLogin(error: string): void {
  clearInterval(countdown);
  chatScreen.hidden = true;
  loginScreen.hidden = false;
  loginButton.disabled = false;
  loginButton.textContent = 'Log in';
  loginError.textContent = error;
  loginPassword.value = '';
  document.title = 'Log in — chatd';
  (loginUser.value ? loginPassword : loginUser).focus();
}

loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const user = loginUser.value.trim();
  const password = loginPassword.value;
  if (!user || !password) {
    loginError.textContent = user ? 'Enter your password.' : 'Enter your username.';
    (user ? loginPassword : loginUser).focus();
    return;
  }
  loginError.textContent = '';
  loginButton.disabled = true;
  loginButton.textContent = 'Logging in…';
  link.start({ user, password });
});

function logout(): void {
  link.stop();
  earlier.reset();
  state.reset();
  view.clear();
  view.hideBanner();
  notifier.hide();
  state.hidden = document.hidden;
  showLogin('');
}
byId('logout', HTMLButtonElement).addEventListener('click', logout);

// --- the link's events ---

function online(w: Extract<ServerMessage, { type: 'welcome' }>, first: boolean): void {
  clearInterval(countdown);
  countdown = undefined;
  view.showLink('online', 'Online');
  if (first) {
    earlier.reset();
    state.reset();
    view.clear();
    view.hideBanner();
    state.welcome(w.user, w.rooms);
    byId('me-name', HTMLSpanElement).textContent = w.user;
    loginPassword.value = '';
    loginScreen.hidden = true;
    chatScreen.hidden = false;
    open(roomKey(w.rooms[0] ?? 'lobby'));
    link.send({ type: 'stats' });
    return;
  }
  // Back after a reconnect: enter again the rooms the user was in, leave the default one if they had.
  const wanted = [...state.joined];
  state.welcome(w.user, w.rooms);
  for (const room of wanted) {
    if (w.rooms.includes(room)) continue;
    rejoining.add(room);
    link.send({ type: 'join', room });
  }
  if (wanted.length > 0) for (const room of w.rooms) if (!wanted.includes(room)) link.send({ type: 'part', room });
  // After the joins (handled in order): the earlier messages asked for and lost with the connection.
  earlier.reconnected();
  view.showBanner('Reconnected.', 'ok', undefined, 4000);
  if (state.current) view.add(state.current, status('Reconnected.'));
  link.send({ type: 'stats' });
  view.render();
}

function refused(reason: Parameters<LinkEvents['refused']>[0], retryAfterS?: number): void {
  view.hideBanner();
  showLogin(refusalText(reason, retryAfterS));
}

function waiting(at: number, why: string, duplicate: boolean): void {
  view.showLink('connecting', 'Reconnecting…');
  if (state.current && !countdown) view.add(state.current, status(why ? `Connection lost (${why}).` : 'Connection lost.'));
  const tell = (): void => {
    const left = seconds(at - Date.now());
    const text = duplicate ? `Your previous session is still open. Trying again in ${left} ...` : `Connection lost. Reconnecting in ${left} ...`;
    view.showBanner(text, 'warning', { label: 'Reconnect now', run: () => link.retryNow() });
  };
  clearInterval(countdown);
  countdown = setInterval(tell, 1000);
  tell();
}

function ended(why: Parameters<LinkEvents['ended']>[0], text: string): void {
  clearInterval(countdown);
  countdown = undefined;
  view.showLink('offline', 'Offline');
  if (why === 'kicked') {
    // The server's own words (the `closing` frame) are already in the log; the banner says what follows.
    view.showBanner(`You were kicked${text ? `: ${text}` : '.'} You will not be reconnected.`, 'warning', { label: 'Log in again', run: logout });
  } else if (why === 'timeout') {
    view.showBanner(text, 'warning', { label: 'Reconnect', run: () => link.retryNow() });
  } else {
    view.showBanner(text, 'warning', { label: 'Reload', run: () => location.reload() });
  }
}

// --- frames ---

const status = (text: string): Line => ({ kind: 'status', at: Date.now(), text });

/** A line that counts as unread (chat), as opposed to joins, notices and the like. */
function chat(key: ConvKey, line: Line): void {
  view.add(key, line, state.arrived(key));
}

/** A live line from someone else: a private message, or a room line naming the user, may notify. */
function addressed(key: ConvKey, from: string, text: string, isPrivate: boolean): void {
  if (from === state.me || !(isPrivate || mentions(text, state.me))) return;
  notifier.alert({ key, title: isPrivate ? `${from} (private)` : `${from} in ${key}`, body: text }, state.hidden);
}

function here(): ConvKey {
  return state.current ?? roomKey(lastRoom);
}

/** What makes a line from the server the same line when it comes twice (live, then in the history). */
const sameLine = (kind: string, at: number, from: string, text: string): string => JSON.stringify([kind, at, from, text]);

/** A room line: live (counts as unread), or from the stored history (earlier messages, not unread). */
function roomLine(room: string, line: Line, stored: boolean | undefined): void {
  if (!stored) return chat(roomKey(room), line);
  const old = { ...line, earlier: true };
  // Part of a requested page, or a /history typed in the box: then shown where it arrives.
  if (!earlier.line(room, old)) view.add(roomKey(room), old);
}

function frame(msg: ServerMessage): void {
  switch (msg.type) {
    case 'message':
      roomLine(msg.room, { kind: 'message', at: msg.at, from: msg.from, text: msg.text, key: sameLine(msg.type, msg.at, msg.from, msg.text) }, msg.history);
      if (!msg.history) addressed(roomKey(msg.room), msg.from, msg.text, false);
      break;
    case 'action':
      roomLine(msg.room, { kind: 'action', at: msg.at, text: `* ${msg.from} ${msg.text}`, key: sameLine(msg.type, msg.at, msg.from, msg.text) }, msg.history);
      if (!msg.history) addressed(roomKey(msg.room), msg.from, `* ${msg.from} ${msg.text}`, false);
      break;
    case 'private': {
      const partner = msg.from === state.me ? msg.to : msg.from;
      const key = sameLine(msg.type, msg.at, msg.from, msg.text);
      chat(privateKey(partner), { kind: 'private', at: msg.at, from: msg.from, text: msg.text, own: msg.from === state.me, key, ...(msg.offline ? { note: 'sent while you were away' } : {}) });
      addressed(privateKey(partner), msg.from, msg.text, true);
      break;
    }
    case 'joined':
      joined(msg);
      break;
    case 'left':
      left(msg);
      break;
    case 'topic': {
      // A stored topic change is history: the room's topic now came with the presence snapshot.
      if (!msg.history) state.setTopic(msg.room, msg.text);
      const line: Line = { kind: 'topic', at: msg.at, text: msg.text ? `${msg.by} set the topic: ${msg.text}` : `${msg.by} cleared the topic.`, key: sameLine(msg.type, msg.at, msg.by, msg.text) };
      if (msg.history) roomLine(msg.room, line, true);
      else view.add(roomKey(msg.room), line);
      break;
    }
    case 'history-end':
      earlier.end(msg.room, msg.more);
      break;
    case 'presence':
      state.presence(msg.users, msg.rooms);
      break;
    case 'stats':
      view.stats(msg);
      return;
    case 'notice': {
      // "N messages were dropped because your connection is too slow": the flow experiment's result.
      const dropped = /\bdropped\b/i.test(msg.text);
      view.add(here(), { kind: dropped ? 'drop' : 'notice', at: Date.now(), text: msg.text });
      if (dropped) link.send({ type: 'stats' });
      break;
    }
    case 'error':
      if (msg.code === 'bad-room' || msg.code === 'too-many-rooms') pendingRoom = null;
      view.add(here(), { kind: 'error', at: Date.now(), text: msg.text });
      break;
    case 'closing':
      view.add(here(), { kind: 'error', at: Date.now(), text: msg.text });
      break;
    case 'hello':
    case 'welcome':
    case 'login-failed':
      break;
  }
  view.render();
}

function joined(msg: Extract<ServerMessage, { type: 'joined' }>): void {
  const fresh = state.enter(msg.user, msg.room);
  const mine = msg.user === state.me;
  const quiet = mine && rejoining.delete(msg.room);
  if ((fresh || mine) && !quiet) {
    const text = mine ? `You joined #${msg.room}.` : msg.how === 'login' ? `${msg.user} joined the chat.` : `${msg.user} joined #${msg.room}.`;
    view.add(roomKey(msg.room), { kind: 'presence', at: msg.at, text });
  }
  if (mine && pendingRoom === msg.room) {
    pendingRoom = null;
    open(roomKey(msg.room));
  }
}

function left(msg: Extract<ServerMessage, { type: 'left' }>): void {
  const mine = msg.user === state.me;
  const rooms = state.leave(msg.user, msg.room, msg.how);
  for (const room of rooms) {
    if (!mine && !state.joined.has(room)) continue;
    const text = mine ? `You left #${room}.` : msg.how === 'logout' ? `${msg.user} left the chat.` : `${msg.user} left #${room}.`;
    view.add(roomKey(room), { kind: 'presence', at: msg.at, text });
  }
  const partner = privateKey(msg.user);
  if (msg.how === 'logout' && state.conversations.has(partner)) view.add(partner, { kind: 'presence', at: msg.at, text: `${msg.user} went offline.` });
  // Leaving the room on screen: show another one the user is still in.
  if (mine && state.current === roomKey(msg.room)) {
    const next = [...state.joined][0];
    if (next) open(roomKey(next));
  }
}

// --- navigation ---

function open(key: ConvKey): void {
  state.open(key);
  if (key.startsWith('#')) lastRoom = key.slice(1);
  if (key.startsWith('#') && state.joined.has(lastRoom)) earlier.opened(lastRoom);
  drawers.close(false);
  view.render();
  message.focus();
}

function join(room: string): void {
  if (state.joined.has(room)) return open(roomKey(room));
  if (!ROOM_NAME.test(room)) {
    view.add(here(), { kind: 'error', at: Date.now(), text: 'A room name is 1 to 32 letters, digits, _ or -.' });
    return;
  }
  pendingRoom = room;
  if (!link.send({ type: 'join', room })) notSent();
}

joinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const room = joinRoomInput.value.trim().replace(/^#/, '');
  if (!room) return;
  joinRoomInput.value = '';
  join(room);
});

// --- the composer ---

function notSent(): void {
  view.showBanner('Not connected: nothing was sent. Your text is still in the box.', 'warning', link.hasCredentials ? { label: 'Reconnect now', run: () => link.retryNow() } : undefined);
}

/** Sends what the user typed; false when there is no connection (the text then stays in the box). */
function send(text: string): boolean {
  const current = here();
  const now = Date.now();
  if (text.startsWith('/') || text.startsWith('@')) {
    if (/^\/(quit|exit)\b/i.test(text)) {
      logout();
      return true;
    }
    if (!link.send({ type: 'command', room: lastRoom, line: text })) return false;
    // The server does not echo the user's own action or private message: show them here.
    const me = /^\/me\s+(.+)$/is.exec(text);
    const whisper = /^@([A-Za-z0-9_-]{1,32})\s+(.+)$/s.exec(text);
    const joining = /^\/join\s+#?([A-Za-z0-9_-]{1,32})\s*$/i.exec(text);
    if (me?.[1]) view.add(roomKey(lastRoom), { kind: 'action', at: now, text: `* ${state.me} ${me[1]}`, own: true });
    if (whisper?.[1] && whisper[2]) {
      // Sent from a room's box: the message belongs to the conversation with that user, shown at once.
      const key = privateKey(state.spelling(whisper[1]));
      state.conversation(key);
      view.add(key, { kind: 'private', at: now, from: state.me, text: whisper[2].trim(), own: true });
      open(key);
    }
    if (joining?.[1]) pendingRoom = joining[1];
    // After /slow or /stats the figures change at once: show them.
    if (/^\/(slow|stats)\b/i.test(text)) link.send({ type: 'stats' });
    return true;
  }
  const isPrivate = current.startsWith('@');
  const msg: ClientMessage = isPrivate ? { type: 'private', to: current.slice(1), text } : { type: 'say', room: current.slice(1), text };
  if (!link.send(msg)) return false;
  view.add(current, { kind: isPrivate ? 'private' : 'message', at: now, from: state.me, text, own: true });
  return true;
}

composer.addEventListener('submit', (e) => {
  e.preventDefault();
  // One message is one line: the server would strip line breaks anyway.
  const text = message.value.replace(/\s*\n\s*/g, ' ').trim();
  if (!text) return;
  if (!send(text)) return notSent();
  history.push(text);
  if (history.length > HISTORY) history.shift();
  historyAt = history.length;
  message.value = '';
  fit();
  view.render();
});

// Enter sends (Shift+Enter too: one message is one line); an IME composing text keeps its Enter.
// Up and Down in an empty or recalled box walk through what was sent.
message.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.isComposing) {
    e.preventDefault();
    composer.requestSubmit();
    return;
  }
  const recalled = message.value === '' || message.value === history[historyAt];
  if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && recalled && history.length > 0) {
    e.preventDefault();
    historyAt = Math.max(0, Math.min(history.length, historyAt + (e.key === 'ArrowUp' ? -1 : 1)));
    message.value = history[historyAt] ?? '';
    fit();
  }
});

/** The box grows with its text up to a few lines (CSS max-height), then scrolls. */
function fit(): void {
  message.style.height = 'auto';
  message.style.height = `${message.scrollHeight}px`;
}
message.addEventListener('input', fit);

// --- background upkeep ---

document.addEventListener('visibilitychange', () => {
  state.hidden = document.hidden;
  if (!document.hidden) {
    state.seen();
    link.send({ type: 'stats' });
  }
  if (!chatScreen.hidden) view.renderTitle();
});

setInterval(() => {
  if (!document.hidden) link.send({ type: 'stats' });
}, STATS_EVERY_MS);
setInterval(() => {
  if (!document.hidden) link.send({ type: 'presence' });
}, PRESENCE_EVERY_MS);

// The browser knows before the backoff timer does when the network is back.
window.addEventListener('online', () => link.retryNow());

state.hidden = document.hidden;
showLogin('');
