/**
 * <channel-dialog>: creates a channel (POST /api/channels) or edits one
 * (PATCH /api/channels/:id with only what changed): name, parent, position,
 * bitrate, user limit, least role, and the password set, kept or removed.
 * `show(channel | null, parentId)` resolves with what was done, or null.
 */
import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';
import type { AdminApi } from '../api/admin-api.ts';
import { ROLES, type Channel, type Role } from '../api/types.ts';
import { adminDialogStyles } from '../shared/admin.styles.ts';
import { channelOrder, subtreeIds } from '../../app/shared/channel-order.ts';
import { FormDialogController } from '../shared/form-dialog-controller.ts';
import { describedBy, fieldError, formError, invalid } from '../shared/form-errors.ts';
import { createFields, formFromChannel, newChannelForm, patchFields, type ChannelForm } from './channel-fields.ts';

const FORM = 'channel';

export class ChannelDialog extends LitElement {
  static override styles = adminDialogStyles;
  static override properties = {
    api: { attribute: false },
    channels: { attribute: false },
    editing: { state: true },
    form: { state: true },
  };

  declare api: AdminApi | null;
  declare channels: Channel[];
  /** The channel being edited; null: a new one. */
  declare editing: Channel | null;
  declare form: ChannelForm;

  readonly #dialog = new FormDialogController(this, ['name', 'parentId', 'position', 'maxUsers', 'bitrate', 'requiredRole', 'password']);

  constructor() {
    super();
    this.api = null;
    this.channels = [];
    this.editing = null;
    this.form = newChannelForm(null);
  }

  async show(channel: Channel | null, parentId: number | null = null): Promise<string | null> {
    this.editing = channel;
    this.form = channel ? formFromChannel(channel) : newChannelForm(parentId);
    // Number fields are filled here and read on submit, not bound: a re-render (the 2 s poll) must not
    // rewrite what is being typed, and "-" or "1." are not numbers yet.
    return this.#dialog.open(() => {
      for (const [id, value] of this.#numberFields()) this.#field(id).value = String(this.form[value]);
    });
  }

  #set<K extends keyof ChannelForm>(key: K, value: ChannelForm[K]): void {
    this.form = { ...this.form, [key]: value };
  }

  #numberFields(): [string, 'position' | 'bitrateKbps' | 'maxUsers'][] {
    return [
      ['channel-position', 'position'],
      ['channel-bitrate', 'bitrateKbps'],
      ['channel-max-users', 'maxUsers'],
    ];
  }

  #field(id: string): HTMLInputElement {
    return this.renderRoot.querySelector(`#${id}`) as HTMLInputElement;
  }

  readonly #onSubmit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const api = this.api;
    if (!api || this.#dialog.busy) return;
    const before = this.editing;
    const f = { ...this.form };
    for (const [id, key] of this.#numberFields()) f[key] = this.#field(id).valueAsNumber;
    await this.#dialog.submit(async () => {
      if (before) {
        const fields = patchFields(before, f);
        if (Object.keys(fields).length > 0) await api.updateChannel(before.id, fields);
        return `Saved ${f.name.trim()}.`;
      }
      const created = await api.createChannel(createFields(f));
      return `Created ${created.name}.`;
    });
  };

  #input(id: string, label: string, field: string, body: TemplateResult, hint = ''): TemplateResult {
    return html`<div class="field">
      <label for=${id}>${label}</label>
      ${body} ${hint ? html`<p class="hint">${hint}</p>` : nothing} ${fieldError(this.#dialog.errors, FORM, field)}
    </div>`;
  }

  override render(): TemplateResult {
    const f = this.form;
    const e = this.#dialog.errors;
    const c = this.editing;
    const isRoot = c !== null && c.parentId === null;
    const aria = (field: string) => ({ invalid: invalid(e, field), describedBy: ifDefined(describedBy(e, FORM, field)) });
    const barred = c ? subtreeIds(this.channels, c.id) : new Set<number>();
    const parents = channelOrder(this.channels).filter((p) => !barred.has(p.channel.id));
    const pw = aria('password');
    return html`<dialog aria-labelledby="channel-title" @close=${this.#dialog.cancel}>
      <form class="panel" @submit=${this.#onSubmit}>
        <div class="head"><h2 id="channel-title">${c ? `Edit ${c.name}` : 'New channel'}</h2></div>
        ${this.#input(
          'channel-name',
          'Name',
          'name',
          html`<input id="channel-name" required maxlength="64" autocomplete="off" autofocus .value=${live(f.name)}
            @input=${(ev: Event) => this.#set('name', (ev.target as HTMLInputElement).value)}
            aria-invalid=${aria('name').invalid} aria-describedby=${aria('name').describedBy} />`,
        )}
        ${isRoot
          ? html`<p class="hint">The root channel has no parent.</p>`
          : this.#input(
              'channel-parent',
              'Parent',
              'parentId',
              html`<select id="channel-parent" aria-invalid=${aria('parentId').invalid} aria-describedby=${aria('parentId').describedBy}
                @change=${(ev: Event) => this.#set('parentId', Number((ev.target as HTMLSelectElement).value))}>
                ${parents.map(
                  (p) => html`<option value=${p.channel.id} .selected=${live(p.channel.id === f.parentId)}>${'\u2003'.repeat(p.depth)}${p.channel.name}</option>`,
                )}
              </select>`,
            )}
        <div class="fields">
          ${this.#input('channel-position', 'Position', 'position', html`<input id="channel-position" type="number" min="-1000" max="1000" step="1" required
            aria-invalid=${aria('position').invalid} aria-describedby=${aria('position').describedBy} />`)}
          ${this.#input('channel-bitrate', 'Bitrate (kbit/s)', 'bitrate', html`<input id="channel-bitrate" type="number" min="6" max="510" step="any" required
            aria-invalid=${aria('bitrate').invalid} aria-describedby=${aria('bitrate').describedBy} />`)}
          ${this.#input('channel-max-users', 'User limit', 'maxUsers', html`<input id="channel-max-users" type="number" min="0" max="1000" step="1" required
            aria-invalid=${aria('maxUsers').invalid} aria-describedby=${aria('maxUsers').describedBy} />`, '0: no limit')}
          ${this.#input('channel-role', 'Who may join', 'requiredRole', html`<select id="channel-role" aria-invalid=${aria('requiredRole').invalid} aria-describedby=${aria('requiredRole').describedBy}
            @change=${(ev: Event) => this.#set('requiredRole', (ev.target as HTMLSelectElement).value as Role)}>
            ${ROLES.map((r) => html`<option value=${r} .selected=${live(r === f.requiredRole)}>${r === 'guest' ? 'everyone' : `${r} and up`}</option>`)}
          </select>`)}
        </div>
        ${this.#input('channel-password-mode', 'Password', 'passwordMode', html`<select id="channel-password-mode"
          @change=${(ev: Event) => this.#set('passwordMode', (ev.target as HTMLSelectElement).value as ChannelForm['passwordMode'])}>
          <option value="keep" .selected=${live(f.passwordMode === 'keep')}>${c?.locked ? 'Keep the password' : 'No password'}</option>
          <option value="set" .selected=${live(f.passwordMode === 'set')}>${c?.locked ? 'Change the password' : 'Set a password'}</option>
          ${c?.locked ? html`<option value="clear" .selected=${live(f.passwordMode === 'clear')}>Remove the password</option>` : nothing}
        </select>`)}
        ${f.passwordMode === 'set'
          ? html`<div class="field">
              <label for="channel-password">New password</label>
              <input id="channel-password" type="password" required minlength="1" maxlength="128" autocomplete="new-password" .value=${live(f.password)}
                @input=${(ev: Event) => this.#set('password', (ev.target as HTMLInputElement).value)} aria-invalid=${pw.invalid} aria-describedby=${pw.describedBy} />
              ${fieldError(e, FORM, 'password')}
            </div>`
          : nothing}
        ${formError(e)}
        <div class="actions">
          <button type="button" @click=${this.#dialog.cancel}>Cancel</button>
          <button type="submit" class="primary" ?disabled=${this.#dialog.busy}>${c ? 'Save' : 'Create'}</button>
        </div>
      </form>
    </dialog>`;
  }
}
