// One message log per conversation: an <ol role="log"> kept in the page while the conversation
// exists and hidden when another is shown, so switching does not re-render (or re-announce to a
// screen reader) its history. Lines are built with text nodes only.
import { clock, linkify } from './format.js';
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
}

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
  const li = el('li', `line line--${line.kind}${line.own ? ' line--own' : ''}`);
  const time = el('time', 'line-time', clock(line.at));
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
  li.append(body);
  return li;
}

export class MessageLog {
  readonly element: HTMLOListElement;

  constructor(label: string) {
    this.element = el('ol', 'log');
    this.element.setAttribute('role', 'log');
    this.element.setAttribute('aria-live', 'polite');
    this.element.setAttribute('aria-label', label);
    this.element.tabIndex = 0;
    this.element.hidden = true;
  }

  add(line: Line): void {
    const list = this.element;
    const sticky = list.scrollHeight - list.scrollTop - list.clientHeight < STICKY_PX;
    list.append(render(line));
    while (list.childElementCount > MAX_LINES) list.firstElementChild?.remove();
    // Your own line always scrolls into view; others only when you were reading the latest.
    if (sticky || line.own) list.scrollTop = list.scrollHeight;
  }

  show(visible: boolean): void {
    this.element.hidden = !visible;
    if (visible) this.element.scrollTop = this.element.scrollHeight;
  }
}
