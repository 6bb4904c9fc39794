/**
 * What a failed call shows: one sentence for the form or section, and the 400's
 * per-field reasons next to the fields they name. Reasons for fields the form
 * does not show join the sentence, so none is lost.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { sentence } from '../../app/shared/wording.ts';
import { ApiError, endsSession } from '../api/admin-api.ts';

export interface FormErrors {
  message: string;
  fields: Readonly<Record<string, string>>;
}

export const NO_ERRORS: FormErrors = Object.freeze({ message: '', fields: Object.freeze({}) });

/**
 * The errors to show for `error`, or null for one that ended the session (401
 * `unauthorized`, 403 `banned`): the app has gone back to the login form
 * already and says why there.
 */
export function toFormErrors(error: unknown, shownFields: readonly string[] = []): FormErrors | null {
  if (error instanceof ApiError) {
    if (endsSession(error)) return null;
    const fields: Record<string, string> = {};
    const others: string[] = [];
    for (const [path, reason] of Object.entries(error.fields)) {
      if (shownFields.includes(path)) fields[path] = reason;
      else others.push(`${path}: ${reason}`);
    }
    const message = sentence(others.length > 0 ? `${error.message} (${others.join('; ')})` : error.message);
    return { message, fields };
  }
  console.error('[admin]', error);
  return { message: error instanceof Error ? error.message : String(error), fields: {} };
}

export function fieldErrorId(formId: string, field: string): string {
  return `${formId}-${field}-error`;
}

/** For an input's aria-describedby (through ifDefined): its error text's id while it has one. */
export function describedBy(errors: FormErrors, formId: string, field: string): string | undefined {
  return errors.fields[field] ? fieldErrorId(formId, field) : undefined;
}

/** For an input's aria-invalid. */
export function invalid(errors: FormErrors, field: string): 'true' | 'false' {
  return errors.fields[field] ? 'true' : 'false';
}

/** The reason next to a field (give its input aria-describedby=fieldErrorId(...) when there is one). */
export function fieldError(errors: FormErrors, formId: string, field: string): TemplateResult | typeof nothing {
  const reason = errors.fields[field];
  return reason ? html`<p class="field-error" id=${fieldErrorId(formId, field)}>${reason}</p>` : nothing;
}

/** The form's sentence, in an alert region. */
export function formError(errors: FormErrors): TemplateResult | typeof nothing {
  return errors.message ? html`<p class="error" role="alert">${errors.message}</p>` : nothing;
}
