// Desktop notifications (the Notification API) for private messages and mentions of the user's
// name while the tab is hidden. The page never asks for the permission on load: the first private
// message or mention shows an offer, and only its "Turn on" asks the browser (a click is the user
// gesture Firefox and Safari require before they show their prompt; the browser then remembers
// the answer). Without the API, on an insecure origin (permission 'denied') or where only a
// service worker may show one (Chrome on Android): nothing happens.
import type { ConvKey } from './state.js';

export interface Alert {
  /** The conversation a click on the notification opens; also its tag, so one replaces the last. */
  readonly key: ConvKey;
  readonly title: string;
  readonly body: string;
}

/** Longer texts are cut: a notification is a pointer to the conversation, not the message. */
const MAX_BODY = 200;

export class Notifier {
  /** The offer was answered (either way) on this page: it is not shown again. */
  private answered = false;

  constructor(
    private readonly offer: HTMLElement,
    accept: HTMLButtonElement,
    decline: HTMLButtonElement,
    private readonly show: (key: ConvKey) => void,
  ) {
    accept.addEventListener('click', () => {
      this.close();
      // Called inside the click handler itself, so the browser sees the user's gesture.
      void Promise.resolve(Notification.requestPermission()).catch(() => undefined);
    });
    decline.addEventListener('click', () => this.close());
  }

  /** A private message or a mention arrived; `hidden`: the tab is out of sight. */
  alert(a: Alert, hidden: boolean): void {
    if (typeof Notification === 'undefined') return;
    if (Notification.permission === 'default') {
      if (!this.answered) this.offer.hidden = false;
      return;
    }
    if (Notification.permission !== 'granted' || !hidden) return;
    const body = a.body.length > MAX_BODY ? `${a.body.slice(0, MAX_BODY - 1)}…` : a.body;
    try {
      const n = new Notification(a.title, { body, tag: a.key });
      n.addEventListener('click', () => {
        window.focus();
        this.show(a.key);
        n.close();
      });
    } catch {
      // The constructor throws where only a service worker may notify; the unread count still shows.
    }
  }

  /** Logged out: the offer goes with the chat screen. */
  hide(): void {
    this.offer.hidden = true;
  }

  private close(): void {
    this.answered = true;
    this.offer.hidden = true;
  }
}
