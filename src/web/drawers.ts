// On narrow screens the room list and the member list slide in over the conversation as menus.
// One open at a time; Escape or a click on the scrim closes it and gives focus back to its button.
// On wide screens the buttons are hidden by CSS and the panels are always there: nothing to do.
import { byId } from './dom.js';

interface Drawer {
  readonly toggle: HTMLButtonElement;
  readonly panel: HTMLElement;
}

export class Drawers {
  private readonly drawers: Drawer[];
  private readonly scrim = byId('scrim', HTMLDivElement);
  private openOne: Drawer | null = null;

  constructor(pairs: Array<[toggleId: string, panelId: string]>) {
    this.drawers = pairs.map(([t, p]) => ({ toggle: byId(t, HTMLButtonElement), panel: byId(p, HTMLElement) }));
    for (const d of this.drawers) d.toggle.addEventListener('click', () => (this.openOne === d ? this.close() : this.open(d)));
    this.scrim.addEventListener('click', () => this.close());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.openOne) {
        e.preventDefault();
        this.close();
      }
    });
  }

  /** Closes the open menu; `refocus` false when the user picked something and focus goes elsewhere. */
  close(refocus = true): void {
    const d = this.openOne;
    if (!d) return;
    this.openOne = null;
    d.panel.removeAttribute('data-open');
    d.toggle.setAttribute('aria-expanded', 'false');
    this.scrim.hidden = true;
    if (refocus) d.toggle.focus();
  }

  private open(d: Drawer): void {
    this.close(false);
    this.openOne = d;
    d.panel.setAttribute('data-open', '');
    d.toggle.setAttribute('aria-expanded', 'true');
    this.scrim.hidden = false;
    d.panel.querySelector<HTMLElement>('[aria-current="true"], button, input')?.focus();
  }
}
