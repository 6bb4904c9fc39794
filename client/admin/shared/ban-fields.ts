/**
 * The moderation form pieces written once: the reason field (kick and both ban
 * forms), the duration select (both ban forms), reading those back, and the
 * "N sessions removed" count a ban reports.
 */
import { html, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { MAX_REASON_LENGTH, type BanRequest } from '../api/types.ts';
import { BAN_DURATIONS, DEFAULT_BAN_DURATION, durationFromValue, durationValue } from './ban-durations.ts';
import { describedBy, fieldError, invalid, type FormErrors } from './form-errors.ts';

/** "Reason (optional)", named `reason`, as long as the server takes (MAX_REASON_LENGTH). */
export function reasonField(id: string, formId: string, errors: FormErrors, options: { autofocus?: boolean } = {}): TemplateResult {
  return html`<div class="field">
    <label for=${id}>Reason (optional)</label>
    <input
      id=${id}
      name="reason"
      maxlength=${MAX_REASON_LENGTH}
      autocomplete="off"
      ?autofocus=${options.autofocus === true}
      aria-invalid=${invalid(errors, 'reason')}
      aria-describedby=${ifDefined(describedBy(errors, formId, 'reason'))}
    />
    ${fieldError(errors, formId, 'reason')}
  </div>`;
}

/** "Duration", named `duration`: BAN_DURATIONS, a day preselected. */
export function durationField(id: string, formId: string, errors: FormErrors): TemplateResult {
  return html`<div class="field">
    <label for=${id}>Duration</label>
    <select id=${id} name="duration" aria-invalid=${invalid(errors, 'durationSeconds')}>
      ${BAN_DURATIONS.map((d) => html`<option value=${durationValue(d.seconds)} ?selected=${durationValue(d.seconds) === DEFAULT_BAN_DURATION}>${d.label}</option>`)}
    </select>
    ${fieldError(errors, formId, 'durationSeconds')}
  </div>`;
}

/** A named field's value, trimmed. */
export function formValue(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim();
}

/** The reason as a request carries it: absent when empty. */
export function readReason(form: HTMLFormElement): { reason?: string } {
  const reason = formValue(form, 'reason');
  return reason ? { reason } : {};
}

/** The duration and reason of a ban form (what is banned is the caller's). */
export function readBanTerms(form: HTMLFormElement): Pick<BanRequest, 'durationSeconds' | 'reason'> {
  return { durationSeconds: durationFromValue(formValue(form, 'duration')), ...readReason(form) };
}

/** "1 session removed", "3 sessions removed". */
export function describeKicked(kicked: readonly unknown[]): string {
  return kicked.length === 1 ? '1 session removed' : `${kicked.length} sessions removed`;
}
