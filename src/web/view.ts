// Renders the state into the chat screen: the room and private lists with unread counts, the
// member list, the conversation's title and topic, the flow figures, the status banner and the
// document title. Lists are rebuilt whole (they are short); logs are appended to (log.ts).
import type { ServerMessage } from '../protocols/ws/messages.js';
import { byId, el } from './dom.js';
import { MessageLog, type EarlierState, type Line } from './log.js';
import { roomKey, privateKey, type ChatState, type ConvKey } from './state.js';

export interface ViewActions {
  /** Show a conversation (a room the user is in, or a private one). */
  open(key: ConvKey): void;
  /** Enter a room the user is not in, then show it. */
  join(room: string): void;
  /** The reader of a room's log wants its older lines. */
  older(room: string): void;
}

type Stats = Extract<ServerMessage, { type: 'stats' }>;
export type LinkShown = 'online' | 'connecting' | 'offline';

/** Member lists beyond this many names show a count instead: rendering 10,000 buttons helps nobody. */
const MAX_MEMBERS_SHOWN = 500;
const MAX_OTHER_ROOMS = 20;
const AVATAR_COLOURS = 8;

function colourOf(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return h % AVATAR_COLOURS;
}

function avatar(name: string): HTMLSpanElement {
  const a = el('span', `avatar avatar--c${colourOf(name)}`, name.slice(0, 1).toUpperCase());
  a.setAttribute('aria-hidden', 'true');
  return a;
}

function badge(count: number): HTMLSpanElement[] {
  if (count === 0) return [];
  return [el('span', 'badge', count > 99 ? '99+' : String(count)), el('span', 'visually-hidden', ` (${count} unread)`)];
}

/** Replaces a list's items, keeping keyboard focus on the same conversation if it had it. */
function replaceItems(list: HTMLElement, items: HTMLElement[]): void {
  const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement.dataset['key'] : undefined;
  list.replaceChildren(...items);
  if (focused) list.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

export class ChatView {
  private readonly logs = new Map<ConvKey, MessageLog>();
  private readonly logsBox = byId('logs', HTMLDivElement);
  private readonly roomList = byId('room-list', HTMLUListElement);
  private readonly otherList = byId('other-room-list', HTMLUListElement);
  private readonly otherTitle = byId('other-rooms-title', HTMLHeadingElement);
  private readonly privateList = byId('private-list', HTMLUListElement);
  private readonly privateTitle = byId('private-title', HTMLHeadingElement);
  private readonly memberList = byId('member-list', HTMLUListElement);
  private readonly membersTitle = byId('members-title', HTMLHeadingElement);
  private readonly convTitle = byId('conv-title', HTMLHeadingElement);
  private readonly convTopic = byId('conv-topic', HTMLParagraphElement);
  private readonly roomsBadge = byId('rooms-toggle-badge', HTMLSpanElement);
  private readonly message = byId('message', HTMLTextAreaElement);
  private readonly banner = byId('banner', HTMLDivElement);
  private readonly bannerText = byId('banner-text', HTMLSpanElement);
  private readonly bannerAction = byId('banner-action', HTMLButtonElement);
  private readonly linkState = byId('link-state', HTMLParagraphElement);
  private readonly linkText = byId('link-state-text', HTMLSpanElement);
  private bannerRun: (() => void) | null = null;
  private bannerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly state: ChatState,
    private readonly actions: ViewActions,
  ) {
    // One listener per list (delegation): items come and go on every presence change.
    const onPick = (e: Event): void => {
      const item = e.target instanceof Element ? e.target.closest<HTMLElement>('[data-key]') : null;
      const key = item?.dataset['key'];
      if (!key) return;
      if (item.dataset['join']) actions.join(key.slice(1));
      else actions.open(key as ConvKey);
    };
    for (const list of [this.roomList, this.otherList, this.privateList, this.memberList]) list.addEventListener('click', onPick);
    this.bannerAction.addEventListener('click', () => this.bannerRun?.());
  }

  /** Adds a line to a conversation's log (creating it); `firstUnread`: the unread marker goes above it. */
  add(key: ConvKey, line: Line, firstUnread = false): void {
    this.log(key).add(line, firstUnread);
  }

  /** Puts a page of a room's earlier lines at the top of its log (log.ts MessageLog.earlier). */
  earlier(room: string, lines: readonly Line[], state: EarlierState): void {
    this.log(roomKey(room)).earlier(lines, state);
  }

  /** Whether a room's log holds as many lines as it may. */
  full(room: string): boolean {
    return this.log(roomKey(room)).full;
  }

  /** Empties every log: a different user logged in on this page. */
  clear(): void {
    this.logs.clear();
    this.logsBox.replaceChildren();
  }

  render(): void {
    const { state } = this;
    for (const [key, log] of this.logs) log.show(key === state.current);
    if (state.current) this.log(state.current).show(true);
    this.renderNav();
    this.renderMembers();
    this.renderHead();
    this.renderTitle();
  }

  renderTitle(): void {
    const total = this.state.unreadTotal();
    const where = this.state.current ?? 'chatd';
    document.title = `${this.state.hidden && total > 0 ? `(${total}) ` : ''}${where} — chatd`;
    // The menu button carries the unread count of conversations hidden behind it on a phone.
    this.roomsBadge.hidden = total === 0;
    this.roomsBadge.textContent = total > 99 ? '99+' : String(total);
  }

  stats(s: Stats): void {
    byId('stat-queue', HTMLElement).textContent = `${s.queue}/${s.queueSize}`;
    byId('stat-window', HTMLElement).textContent = s.window === null ? 'off' : `${s.inFlight}/${s.window}`;
    byId('stat-delay', HTMLElement).textContent = `${s.delayMs} ms`;
    const dropped = byId('stat-dropped', HTMLElement);
    dropped.textContent = String(s.dropped);
    dropped.classList.toggle('is-warning', s.dropped > 0);
  }

  /** The status line above the log; `action` adds a button (Reconnect now, Log in again). `forMs`: hide after. */
  showBanner(text: string, tone: 'info' | 'warning' | 'ok', action?: { label: string; run: () => void }, forMs?: number): void {
    clearTimeout(this.bannerTimer);
    this.banner.hidden = false;
    this.banner.dataset['tone'] = tone;
    this.bannerText.textContent = text;
    this.bannerAction.hidden = !action;
    this.bannerAction.textContent = action?.label ?? '';
    this.bannerRun = action?.run ?? null;
    if (forMs) this.bannerTimer = setTimeout(() => this.hideBanner(), forMs);
  }

  hideBanner(): void {
    clearTimeout(this.bannerTimer);
    this.banner.hidden = true;
    this.bannerRun = null;
  }

  showLink(shown: LinkShown, text: string): void {
    this.linkState.dataset['state'] = shown;
    this.linkText.textContent = text;
  }

  private log(key: ConvKey): MessageLog {
    let log = this.logs.get(key);
    if (!log) {
      const room = key.startsWith('#') ? key.slice(1) : null;
      log = room === null ? new MessageLog(`Private conversation with ${key.slice(1)}`) : new MessageLog(`History of ${key}`, () => this.actions.older(room));
      this.logs.set(key, log);
      this.logsBox.append(log.element);
    }
    return log;
  }

  private item(key: ConvKey, label: string, unread: number, extra: HTMLElement[] = []): HTMLLIElement {
    const button = el('button', 'conv');
    button.type = 'button';
    button.dataset['key'] = key;
    if (key === this.state.current) button.setAttribute('aria-current', 'true');
    button.append(el('span', 'conv-sign', key.slice(0, 1)), el('span', 'conv-name', label), ...extra, ...badge(unread));
    const li = el('li');
    li.append(button);
    return li;
  }

  private renderNav(): void {
    const { state } = this;
    const rooms = [...state.joined].map((room) => this.item(roomKey(room), room, state.conversation(roomKey(room)).unread));
    replaceItems(this.roomList, rooms);

    const others = state.otherRooms(MAX_OTHER_ROOMS).map(([room, count]) => {
      const li = this.item(roomKey(room), room, 0, [el('span', 'conv-count', String(count)), el('span', 'visually-hidden', ` (${count} ${count === 1 ? 'person' : 'people'}, join)`)]);
      li.querySelector('button')?.setAttribute('data-join', '1');
      return li;
    });
    this.otherTitle.hidden = others.length === 0;
    replaceItems(this.otherList, others);

    const privates = state.privates().map((c) => {
      const offline = !state.isOnline(c.name);
      const li = this.item(c.key, c.name, c.unread, offline ? [el('span', 'visually-hidden', ' (offline)')] : []);
      li.querySelector('button')?.classList.toggle('is-offline', offline);
      return li;
    });
    this.privateTitle.hidden = privates.length === 0;
    replaceItems(this.privateList, privates);
  }

  private renderMembers(): void {
    const { state } = this;
    const current = state.current;
    if (!current || !current.startsWith('#')) {
      // In a private conversation the panel shows the two people in it.
      const other = current ? current.slice(1) : '';
      this.membersTitle.textContent = 'In this conversation';
      replaceItems(this.memberList, [this.member(state.me), ...(other ? [this.member(other)] : [])]);
      return;
    }
    const names = state.members(current.slice(1));
    this.membersTitle.textContent = `Members (${names.length})`;
    const items = names.slice(0, MAX_MEMBERS_SHOWN).map((name) => this.member(name));
    if (names.length > MAX_MEMBERS_SHOWN) items.push(el('li', 'member-more', `and ${names.length - MAX_MEMBERS_SHOWN} more`));
    replaceItems(this.memberList, items);
  }

  private member(name: string): HTMLLIElement {
    const li = el('li');
    if (name === this.state.me) {
      const me = el('span', 'member member--me');
      me.append(avatar(name), el('span', 'member-name', name), el('span', 'member-you', '(you)'));
      li.append(me);
      return li;
    }
    const button = el('button', 'member');
    button.type = 'button';
    button.dataset['key'] = privateKey(name);
    button.title = `Private conversation with ${name}`;
    button.append(avatar(name), el('span', 'member-name', name));
    if (!this.state.isOnline(name)) button.append(el('span', 'member-you', '(offline)'));
    li.append(button);
    return li;
  }

  private renderHead(): void {
    const { state } = this;
    const current = state.current;
    this.convTitle.textContent = current ?? '';
    if (!current) return;
    const name = current.slice(1);
    if (current.startsWith('#')) {
      const topic = state.topic(name);
      this.convTopic.textContent = topic || 'No topic set';
      this.convTopic.classList.toggle('is-empty', !topic);
      this.convTopic.title = topic;
      this.message.placeholder = `Message ${current}`;
    } else {
      this.convTopic.textContent = state.isOnline(name) ? 'Private conversation' : 'Private conversation · offline';
      this.convTopic.classList.add('is-empty');
      this.convTopic.title = '';
      this.message.placeholder = `Message ${name}`;
    }
  }
}
