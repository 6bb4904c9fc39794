/**
 * <password-dialog>: asks for a locked channel's password (a non-modal
 * dialog: the tree stays clickable). Stays open while the server answers; a
 * refusal shows in the dialog, success closes it (the app sets `open` false
 * when it sees `joined`).
 *
 * Test hooks: heading "Password for <channel>", input "Channel password",
 * buttons "Join" and "Cancel".
 *
 * Events: `voice-channel-password` { channelId, password }, `voice-password-cancel`.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { DialogController } from '../controllers/dialog-controller.ts';
import { baseStyles } from '../shared/base.styles.ts';
import { dialogStyles } from '../shared/dialog.styles.ts';
import { lockIcon } from '../shared/icons.ts';

export class PasswordDialog extends LitElement {
  static override styles = [baseStyles, dialogStyles];
  static override properties = {
    open: { type: Boolean },
    channelId: { type: Number },
    channelName: {},
    error: {},
  };

  declare open: boolean;
  declare channelId: number;
  declare channelName: string;
  /** Why the last attempt failed; '' before the first. */
  declare error: string;

  constructor() {
    super();
    this.open = false;
    this.channelId = 0;
    this.channelName = '';
    this.error = '';
  }

  readonly #dialog = new DialogController(this, () => this.renderRoot.querySelector('dialog'));

  protected override updated(changed: PropertyValues<this>): void {
    const input = this.renderRoot.querySelector('input');
    if (changed.has('channelId') && input) input.value = '';
    if (changed.has('open') || changed.has('channelId')) {
      if (this.#dialog.sync(this.open) && input) {
        input.value = '';
        input.focus();
      }
    }
    if (changed.has('error') && this.error) input?.select();
  }

  readonly #onSubmit = (e: SubmitEvent): void => {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).elements.namedItem('password') as HTMLInputElement;
    this.dispatchEvent(
      new CustomEvent('voice-channel-password', { detail: { channelId: this.channelId, password: input.value }, bubbles: true, composed: true }),
    );
  };

  /** Escape, Cancel, or the app closing it after the join: only the first two are the user's cancel. */
  readonly #onClose = (): void => {
    if (this.open) this.dispatchEvent(new CustomEvent('voice-password-cancel', { bubbles: true, composed: true }));
  };

  override render(): TemplateResult {
    return html`<dialog aria-labelledby="password-title" @close=${this.#onClose}>
      <form class="panel" @submit=${this.#onSubmit}>
        <div class="head">
          ${lockIcon}
          <h2 id="password-title">Password for ${this.channelName}</h2>
        </div>
        <div class="field">
          <label for="channel-password">Channel password</label>
          <input id="channel-password" name="password" type="password" autocomplete="off" maxlength="128" required />
        </div>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <div class="actions">
          <button type="button" @click=${() => this.#dialog.close()}>Cancel</button>
          <button type="submit" class="primary">Join</button>
        </div>
      </form>
    </dialog>`;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'voice-channel-password': CustomEvent<{ channelId: number; password: string }>;
    'voice-password-cancel': CustomEvent<undefined>;
  }
}
