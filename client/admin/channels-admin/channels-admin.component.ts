/**
 * <channels-admin> (admins): the channel tree with each channel's settings
 * and how many people are in it; New channel, Edit and Delete (after a
 * confirmation that says how many subchannels and people it affects).
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { lockIcon } from '../../app/shared/icons.ts';
import type { AdminApi } from '../api/admin-api.ts';
import type { Channel, Session } from '../api/types.ts';
import type { ChannelDialog } from '../channel-dialog/channel-dialog.component.ts';
import type { ConfirmDialog } from '../confirm-dialog/confirm-dialog.component.ts';
import { channelOrder, subtreeIds } from '../../app/shared/channel-order.ts';
import { toFormErrors } from '../shared/form-errors.ts';
import { styles } from './channels-admin.styles.ts';

export class ChannelsAdmin extends LitElement {
  static override styles = styles;
  static override properties = {
    api: { attribute: false },
    channels: { attribute: false },
    sessions: { attribute: false },
    status: { state: true },
    error: { state: true },
  };

  declare api: AdminApi | null;
  declare channels: Channel[] | null;
  declare sessions: Session[] | null;
  declare status: string;
  declare error: string;

  constructor() {
    super();
    this.api = this.channels = this.sessions = null;
    this.status = this.error = '';
  }

  #done(status: string): void {
    this.status = status;
    this.error = '';
    this.dispatchEvent(new CustomEvent('admin-changed', { bubbles: true, composed: true }));
  }

  async #edit(channel: Channel | null): Promise<void> {
    const root = (this.channels ?? []).find((c) => c.parentId === null);
    const outcome = await this.renderRoot.querySelector<ChannelDialog>('channel-dialog')?.show(channel, root?.id ?? null);
    if (outcome) this.#done(outcome);
  }

  async #delete(channel: Channel): Promise<void> {
    if (!this.api) return;
    const ids = subtreeIds(this.channels ?? [], channel.id);
    const people = (this.sessions ?? []).filter((s) => ids.has(s.channelId)).length;
    const subs = ids.size - 1;
    const message = [
      subs === 0 ? `Delete ${channel.name}?` : `Delete ${channel.name} and its ${subs === 1 ? 'subchannel' : `${subs} subchannels`}?`,
      people === 0 ? '' : `The ${people === 1 ? 'person' : `${people} people`} in ${subs === 0 ? 'it' : 'them'} move to the root channel.`,
    ].join(' ');
    const yes = await this.renderRoot.querySelector<ConfirmDialog>('confirm-dialog')?.ask({ title: `Delete ${channel.name}`, message, confirmLabel: 'Delete' });
    if (!yes) return;
    try {
      await this.api.deleteChannel(channel.id);
      this.renderRoot.querySelector<HTMLElement>('#channels-title')?.focus();
      this.#done(`Deleted ${channel.name}.`);
    } catch (error) {
      this.error = toFormErrors(error)?.message ?? '';
    }
  }

  override render(): TemplateResult {
    const channels = this.channels;
    return html`<section aria-labelledby="channels-title">
      <div class="section-head">
        <h2 id="channels-title" tabindex="-1">Channels</h2>
        <button type="button" class="primary" ?disabled=${channels === null} @click=${() => this.#edit(null)}>New channel</button>
      </div>
      <p class="hint ${this.status ? '' : 'visually-hidden'}" role="status">${this.status}</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${channels === null ? html`<p class="empty">Loading…</p>` : this.#renderTree(channels)}
      <channel-dialog .api=${this.api} .channels=${channels ?? []}></channel-dialog>
      <confirm-dialog></confirm-dialog>
    </section>`;
  }

  #renderTree(channels: Channel[]): TemplateResult {
    const count = new Map<number, number>();
    for (const s of this.sessions ?? []) count.set(s.channelId, (count.get(s.channelId) ?? 0) + 1);
    const names = new Map(channels.map((c) => [c.id, c.name]));
    return html`<ul class="tree" aria-labelledby="channels-title">
      ${channelOrder(channels).map(({ channel: c, depth }) => {
        const parent = c.parentId === null ? undefined : names.get(c.parentId);
        const people = count.get(c.id) ?? 0;
        const details = [
          c.requiredRole === 'guest' ? '' : `${c.requiredRole} and up`,
          `${c.bitrate / 1000} kbit/s`,
          c.maxUsers === 0 ? '' : `limit ${c.maxUsers}`,
          people === 0 ? '' : people === 1 ? '1 person' : `${people} people`,
        ].filter(Boolean);
        // Indented by depth through a data attribute: the CSP (style-src 'self') refuses style="" attributes.
        return html`<li data-channel=${c.name} data-depth=${Math.min(depth, 6)}>
          <span class="name"
            >${c.name}${c.locked ? html` ${lockIcon}<span class="visually-hidden">(password)</span>` : nothing}${parent
              ? html`<span class="visually-hidden">, in ${parent}</span>`
              : nothing}</span
          >
          <span class="details">${details.join(' · ')}</span>
          <span class="row-actions">
            <button type="button" aria-label="Edit ${c.name}" @click=${() => this.#edit(c)}>Edit</button>
            ${c.parentId === null
              ? nothing
              : html`<button type="button" class="danger" aria-label="Delete ${c.name}" @click=${() => this.#delete(c)}>Delete</button>`}
          </span>
        </li>`;
      })}
    </ul>`;
  }
}
