/**
 * <kick-dialog>: "Kick <name>" with an optional reason → POST /api/kick.
 * `show(session)` opens it and resolves with a sentence saying what was done,
 * or null if it was cancelled (Escape, Cancel). A refusal (403, 404) stays in
 * the dialog.
 */
import { LitElement, html, type TemplateResult } from 'lit';
import type { AdminApi } from '../api/admin-api.ts';
import type { Session } from '../api/types.ts';
import { adminDialogStyles } from '../shared/admin.styles.ts';
import { formValue, reasonField } from '../shared/ban-fields.ts';
import { FormDialogController } from '../shared/form-dialog-controller.ts';
import { formError } from '../shared/form-errors.ts';

const FORM = 'kick';

export class KickDialog extends LitElement {
  static override styles = adminDialogStyles;
  static override properties = {
    api: { attribute: false },
    session: { state: true },
  };

  declare api: AdminApi | null;
  declare session: Session | null;

  readonly #dialog = new FormDialogController(this, ['reason']);

  constructor() {
    super();
    this.api = null;
    this.session = null;
  }

  async show(session: Session): Promise<string | null> {
    this.session = session;
    return this.#dialog.open();
  }

  readonly #onSubmit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const s = this.session;
    const api = this.api;
    if (!api || !s || this.#dialog.busy) return;
    const reason = formValue(e.target as HTMLFormElement, 'reason');
    await this.#dialog.submit(async () => {
      await api.kick(s.sessionToken, reason);
      return `Kicked ${s.nickname}.`;
    });
  };

  override render(): TemplateResult {
    const name = this.session?.nickname ?? '';
    const errors = this.#dialog.errors;
    return html`<dialog aria-labelledby="kick-title" @close=${this.#dialog.cancel}>
      <form class="panel" @submit=${this.#onSubmit}>
        <div class="head"><h2 id="kick-title">Kick ${name}</h2></div>
        <p class="hint">They are disconnected at once and can come back unless they are banned.</p>
        ${reasonField('kick-reason', FORM, errors, { autofocus: true })}
        ${formError(errors)}
        <div class="actions">
          <button type="button" @click=${this.#dialog.cancel}>Cancel</button>
          <button type="submit" class="primary" ?disabled=${this.#dialog.busy}>Kick</button>
        </div>
      </form>
    </dialog>`;
  }
}
