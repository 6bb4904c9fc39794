/**
 * <sessions-table>: who is online, in channel-tree order, with the channel's
 * name, address, how long they have been on and their voice state; Kick and
 * Ban per row. Moderators cannot act on moderators or admins, and nobody on
 * their own account (the server refuses both; the buttons say so first).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { roleAtLeast } from '../../../shared/auth/roles.ts';
import type { AdminApi } from '../api/admin-api.ts';
import type { Channel, Session, User } from '../api/types.ts';
import type { BanDialog } from '../ban-dialog/ban-dialog.component.ts';
import type { KickDialog } from '../kick-dialog/kick-dialog.component.ts';
import { adminStyles } from '../shared/admin.styles.ts';
import { channelOrder } from '../../app/shared/channel-order.ts';
import { formatDuration } from '../shared/format.ts';

export class SessionsTable extends LitElement {
  static override styles = adminStyles;
  static override properties = {
    api: { attribute: false },
    me: { attribute: false },
    sessions: { attribute: false },
    channels: { attribute: false },
    now: { type: Number },
    status: { state: true },
  };

  declare api: AdminApi | null;
  declare me: User | null;
  declare sessions: Session[] | null;
  declare channels: Channel[] | null;
  declare now: number;
  /** What the last kick or ban did. */
  declare status: string;

  constructor() {
    super();
    this.api = this.me = this.sessions = this.channels = null;
    this.now = Date.now();
    this.status = '';
  }

  /** Why `me` may not act on `s`, or '' if they may. */
  #refusal(s: Session): string {
    const me = this.me;
    if (!me) return 'not logged in';
    if (s.userId !== null && s.userId === me.id) return 'your own account';
    if (me.role !== 'admin' && roleAtLeast(s.role, 'moderator')) return `only an admin can act on a ${s.role}`;
    return '';
  }

  async #act(dialog: 'kick-dialog' | 'ban-dialog', s: Session): Promise<void> {
    const el = this.renderRoot.querySelector(dialog) as KickDialog | BanDialog | null;
    const outcome = await el?.show(s);
    if (!outcome) return;
    this.status = outcome;
    // The row (and the button focus went back to) is about to go: keep the keyboard in this section.
    this.renderRoot.querySelector<HTMLElement>('#sessions-title')?.focus();
    this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
  }

  #sorted(): { session: Session; channel: string }[] {
    const order = channelOrder(this.channels ?? []);
    const rank = new Map(order.map((p, i) => [p.channel.id, i]));
    const name = new Map(order.map((p) => [p.channel.id, p.channel.name]));
    return (this.sessions ?? [])
      .map((session) => ({ session, channel: name.get(session.channelId) ?? `#${session.channelId}` }))
      .sort(
        (a, b) =>
          (rank.get(a.session.channelId) ?? Infinity) - (rank.get(b.session.channelId) ?? Infinity) ||
          a.session.nickname.localeCompare(b.session.nickname),
      );
  }

  override render(): TemplateResult {
    const rows = this.#sorted();
    return html`<section aria-labelledby="sessions-title">
      <div class="section-head">
        <h2 id="sessions-title" tabindex="-1">Online${this.sessions ? html` <span class="muted">(${this.sessions.length})</span>` : nothing}</h2>
      </div>
      <p class="hint ${this.status ? '' : 'visually-hidden'}" role="status">${this.status}</p>
      ${this.sessions === null
        ? html`<p class="empty">Loading…</p>`
        : rows.length === 0
          ? html`<p class="empty">Nobody is connected.</p>`
          : html`<div class="table-wrap">
              <table aria-labelledby="sessions-title">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Channel</th>
                    <th scope="col">Address</th>
                    <th scope="col">Online for</th>
                    <th scope="col">Voice</th>
                    <th scope="col"><span class="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${repeat(rows, (r) => r.session.sessionToken, (r) => this.#renderRow(r.session, r.channel))}
                </tbody>
              </table>
            </div>`}
      <kick-dialog .api=${this.api}></kick-dialog>
      <ban-dialog .api=${this.api}></ban-dialog>
    </section>`;
  }

  #renderRow(s: Session, channel: string): TemplateResult {
    const refusal = this.#refusal(s);
    const voice = [s.voice ? 'open' : 'no voice lane', s.selfDeaf ? 'deafened' : s.selfMute ? 'muted' : ''].filter(Boolean).join(', ');
    return html`<tr data-session=${s.sessionToken} data-nickname=${s.nickname}>
      <th scope="row" data-label="Name">
        <span
          >${s.nickname} <span class="badge ${roleAtLeast(s.role, 'moderator') ? 'staff' : ''}">${s.userId === null ? 'guest' : s.role}</span></span
        >
      </th>
      <td data-label="Channel">${channel}</td>
      <td data-label="Address" class="num">${s.address}</td>
      <td data-label="Online for" class="num">${formatDuration((this.now - s.connectedAt) / 1000)}</td>
      <td data-label="Voice">${voice}</td>
      <td class="actions-cell">
        <span class="row-actions">
          <button type="button" aria-label="Kick ${s.nickname}" title=${refusal || `Kick ${s.nickname}`} ?disabled=${refusal !== ''} @click=${() => this.#act('kick-dialog', s)}>
            Kick
          </button>
          <button
            type="button"
            class="danger"
            aria-label="Ban ${s.nickname}"
            title=${refusal || `Ban ${s.nickname}`}
            ?disabled=${refusal !== ''}
            @click=${() => this.#act('ban-dialog', s)}
          >
            Ban
          </button>
        </span>
      </td>
    </tr>`;
  }
}
