// One message log per conversation: an <ol role="log"> kept in the page while the conversation
// exists and hidden when another is shown, so switching does not re-render (or re-announce to a
// screen reader) its history. Lines are built with text nodes only. A room's earlier messages (its
// stored history) sit at the top under an "Earlier messages" divider; older pages are put above
// them without moving what the reader is looking at.
import { clock, day, linkify } from './format.js';
import { el } from './dom.js';

export type LineKind = 'message' | 'action' | 'private' | 'notice' | 'drop' | 'presence' | 'topic' | 'error' | 'status';

export interface Line {
  readonly kind: LineKind;
  readonly at: number;
  readonly text: string;
  /** The sender, for message and private lines. */
  readonly from?: string;
  /** The user's own line, shown by the page itself (the server never echoes it). */
  readonly own?: boolean;
  /** What makes two lines the same (the server's `at`, sender and text): a line is shown once. */
  readonly key?: string;
  /** From the room's stored history: muted, with its date when not today. */
  readonly earlier?: boolean;
  /** A remark after the text, e.g. "sent while you were away". */
  readonly note?: string;
}

/** Where the earlier messages stand: being fetched, more stored, all shown. */
export type EarlierState = 'loading' | 'more' | 'start';

/** Older lines are removed beyond this, so a busy room cannot grow the page without bound. */
const MAX_LINES = 1000;
/** How close to the bottom counts as "reading the latest": then new lines scroll into view. */
const STICKY_PX = 48;

function textWithLinks(into: HTMLElement, text: string): void {
  for (const part of linkify(text)) {
    if (part.kind === 'text') {
      into.append(document.createTextNode(part.text));
      continue;
    }
    const a = el('a', '', part.text);
    a.href = part.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    into.append(a);
  }
}

function render(line: Line): HTMLLIElement {
  const li = el('li', `line line--${line.kind}${line.own ? ' line--own' : ''}${line.earlier ? ' line--earlier' : ''}${line.note ? ' line--noted' : ''}`);
  if (line.key !== undefined) li.dataset['key'] = line.key;
  const time = el('time', 'line-time');
  const date = line.earlier || line.note ? day(line.at, Date.now()) : '';
  if (date) time.append(el('span', 'line-date', date));
  time.append(document.createTextNode(clock(line.at)));
  time.dateTime = new Date(line.at).toISOString();
  time.title = new Date(line.at).toLocaleString();
  li.append(time);
  const body = el('span', 'line-body');
  if (line.from !== undefined) {
    body.append(el('span', 'line-from', line.from));
    // Heard, not seen: a screen reader says "user2: hello" rather than "user2 hello".
    body.append(el('span', 'visually-hidden', ': '));
  }
  const text = el('span', 'line-text');
  textWithLinks(text, line.text);
  body.append(text);
  if (line.note) body.append(el('span', 'line-note', line.note));
  li.append(body);
  return li;
}

export class MessageLog {
  readonly element: HTMLOListElement;
  /** Keys of the lines shown (Line.key), so the same line never shows twice. */
  private readonly keys = new Set<string>();
  /** The "Earlier messages" divider, once the room's history was asked for. */
  private divider: HTMLLIElement | null = null;
  /** The unread marker: above the first line that came while the reader was away. At most one. */
  private marker: HTMLLIElement | null = null;

  /** `wantsOlder`: the reader reached the top of the log, or asked for earlier messages. */
  constructor(
    label: string,
    private readonly wantsOlder?: () => void,
  ) {
    this.element = el('ol', 'log');
    this.element.setAttribute('role', 'log');
    this.element.setAttribute('aria-live', 'polite');
    this.element.setAttribute('aria-label', label);
    this.element.tabIndex = 0;
    this.element.hidden = true;
    if (wantsOlder) {
      this.element.addEventListener('scroll', () => {
        if (this.element.scrollTop < STICKY_PX && this.divider?.dataset['state'] === 'more') wantsOlder();
      }, { passive: true });
    }
  }

  /** Appends `line` (unless shown already); `firstUnread` moves the unread marker above it. */
  add(line: Line, firstUnread = false): void {
    if (this.seen(line)) return;
    const list = this.element;
    const sticky = list.scrollHeight - list.scrollTop - list.clientHeight < STICKY_PX;
    if (firstUnread) list.append(this.moveMarker());
    list.append(render(line));
    this.trim();
    // Your own line always scrolls into view; others only when you were reading the latest.
    if (sticky || line.own) list.scrollTop = list.scrollHeight;
  }

  /** Whether the log is as long as it may be: then no older lines are fetched. */
  get full(): boolean {
    return this.element.childElementCount >= MAX_LINES;
  }

  /**
   * Puts a page of earlier lines (oldest first, all older than what the log holds) at the top,
   * under the divider, keeping in view what the reader was looking at; `state` says what is left.
   */
  earlier(lines: readonly Line[], state: EarlierState): void {
    const list = this.element;
    const fromBottom = list.scrollHeight - list.scrollTop;
    const divider = this.showDivider(state);
    const fresh = lines.filter((line) => !this.seen(line)).map(render);
    divider.after(...fresh);
    // An empty history has nothing to introduce.
    divider.hidden = state === 'start' && divider.nextElementSibling?.classList.contains('line--earlier') !== true;
    this.trim();
    list.scrollTop = list.scrollHeight - fromBottom;
  }

  /** The unread marker, taken from where it was (the reader has seen what followed it). */
  private moveMarker(): HTMLLIElement {
    if (!this.marker) {
      this.marker = el('li', 'log-unread');
      this.marker.setAttribute('role', 'separator');
      this.marker.append(el('span', 'log-unread-label', 'New messages'));
    }
    this.marker.remove();
    return this.marker;
  }

  /** The divider at the top: "Earlier messages", with a button for more or the start of the history. */
  private showDivider(state: EarlierState): HTMLLIElement {
    let divider = this.divider;
    if (!divider) {
      divider = el('li', 'log-divider');
      this.divider = divider;
      this.element.prepend(divider);
    }
    divider.dataset['state'] = state;
    const label = el('span', 'log-divider-label', 'Earlier messages');
    if (state === 'loading') divider.replaceChildren(label, el('span', 'log-divider-note', 'Loading…'));
    else if (state === 'start') divider.replaceChildren(label, el('span', 'log-divider-note', 'The start of the history'));
    else {
      const more = el('button', 'button button--small button--quiet', 'Load earlier messages');
      more.type = 'button';
      const ask = this.wantsOlder;
      if (ask) more.addEventListener('click', ask);
      divider.replaceChildren(label, more);
    }
    return divider;
  }

  show(visible: boolean): void {
    // Shown again: at the latest. Already shown: left where the reader scrolled it.
    const appearing = visible && this.element.hidden;
    this.element.hidden = !visible;
    if (appearing) this.element.scrollTop = this.element.scrollHeight;
  }

  /** True when the line is shown already; otherwise remembers it. */
  private seen(line: Line): boolean {
    if (line.key === undefined) return false;
    if (this.keys.has(line.key)) return true;
    this.keys.add(line.key);
    return false;
  }

  /** Removes the oldest lines (never the divider) beyond MAX_LINES. */
  private trim(): void {
    const list = this.element;
    while (list.childElementCount > MAX_LINES) {
      const first = list.firstElementChild === this.divider ? this.divider?.nextElementSibling : list.firstElementChild;
      if (!(first instanceof HTMLElement)) break;
      const key = first.dataset['key'];
      if (key !== undefined) this.keys.delete(key);
      first.remove();
    }
  }
}
