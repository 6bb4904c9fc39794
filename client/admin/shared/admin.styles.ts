/**
 * The admin panel's look, on top of the app's base styles (client/app/shared):
 * section cards, forms with field errors, tables that become stacked rows on
 * a phone, and modal dialogs.
 */
import { css } from 'lit';
import { baseStyles } from '../../app/shared/base.styles.ts';
import { dialogStyles } from '../../app/shared/dialog.styles.ts';

const sectionStyles = css`
  :host {
    display: grid;
    gap: 1rem;
    min-width: 0;
  }
  section {
    position: relative;
    display: grid;
    gap: 0.9rem;
    padding: 1rem 1.1rem;
    border: 1px solid var(--va-line);
    border-radius: 12px;
    background: var(--va-panel);
    min-width: 0;
  }
  .section-head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.5rem 1rem;
  }
  .section-head h2 {
    flex: 1;
    font-size: 1.05rem;
  }
  h2:focus {
    outline: none;
  }
  h3 {
    font-size: 0.95rem;
  }
  label,
  legend {
    font-size: 0.9rem;
    color: #c5ccd4;
  }
  form {
    display: grid;
    gap: 0.8rem;
  }
  .field {
    display: grid;
    gap: 0.3rem;
    min-width: 0;
  }
  .fields {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr));
    gap: 0.8rem;
    align-items: start;
  }
  .check {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    cursor: pointer;
  }
  fieldset {
    margin: 0;
    padding: 0.6rem 0.75rem 0.75rem;
    border: 1px solid var(--va-line);
    border-radius: 8px;
    display: grid;
    gap: 0.6rem;
    min-width: 0;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    justify-content: flex-end;
    gap: 0.5rem;
  }
  .field-error {
    margin: 0;
    color: #ffb3b3;
    font-size: 0.85rem;
  }
  input[aria-invalid='true'],
  select[aria-invalid='true'] {
    border-color: var(--va-danger);
  }
  button.danger {
    border-color: #7a3438;
    color: #ffd0d0;
  }
  button.danger:hover:not(:disabled) {
    background: var(--va-danger-bg);
  }
  .badge {
    display: inline-block;
    padding: 0.05rem 0.45rem;
    border-radius: 999px;
    border: 1px solid var(--va-border);
    color: var(--va-muted);
    font-size: 0.78rem;
    white-space: nowrap;
  }
  .badge.staff {
    border-color: var(--va-accent);
    color: #b8d6ff;
  }
  .muted {
    color: var(--va-muted);
  }
  .num {
    font-variant-numeric: tabular-nums;
  }
  .empty {
    margin: 0;
    color: var(--va-muted);
  }
  input:disabled,
  select:disabled {
    opacity: 0.55;
  }
  button.primary.danger {
    background: #6b2427;
    border-color: var(--va-danger);
    color: #fff;
  }
  button.primary.danger:hover:not(:disabled) {
    background: #83302f;
  }
`;

/** A table on wide screens; one card per row below 640 px, each cell labelled by its `data-label`. */
const tableStyles = css`
  .table-wrap {
    min-width: 0;
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: left;
    padding: 0.45rem 0.6rem;
    border-bottom: 1px solid var(--va-line);
    vertical-align: middle;
    overflow-wrap: anywhere;
  }
  thead th {
    color: var(--va-muted);
    font-weight: 600;
    font-size: 0.85rem;
  }
  tbody th {
    font-weight: 600;
  }
  td.actions-cell {
    text-align: right;
  }
  .row-actions {
    display: inline-flex;
    flex-wrap: wrap;
    gap: 0.4rem;
    justify-content: flex-end;
  }
  @media (max-width: 640px) {
    table:not(.keep),
    table:not(.keep) > tbody,
    table:not(.keep) tr,
    table:not(.keep) td,
    table:not(.keep) tbody th {
      display: block;
    }
    table:not(.keep) thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip-path: inset(50%);
    }
    table:not(.keep) tr {
      padding: 0.55rem 0.7rem;
      margin-bottom: 0.6rem;
      border: 1px solid var(--va-line);
      border-radius: 10px;
      background: var(--va-bg);
    }
    table:not(.keep) td,
    table:not(.keep) tbody th {
      display: grid;
      grid-template-columns: 6.5rem minmax(0, 1fr);
      gap: 0.5rem;
      padding: 0.2rem 0;
      border: 0;
    }
    table:not(.keep) td::before,
    table:not(.keep) tbody th::before {
      content: attr(data-label);
      color: var(--va-muted);
      font-size: 0.85rem;
    }
    table:not(.keep) td.actions-cell {
      display: block;
      padding-top: 0.45rem;
      text-align: left;
    }
    td.actions-cell::before {
      content: none;
    }
    .row-actions {
      justify-content: flex-start;
    }
  }
`;

/** Modal dialogs: centred in the top layer, scrolling inside on short screens. */
const modalStyles = [
  dialogStyles,
  css`
    dialog {
      inset: 0;
      margin: auto;
      width: min(27rem, calc(100vw - 1.5rem));
      max-height: calc(100dvh - 1.5rem);
      overflow: auto;
    }
    dialog::backdrop {
      background: #0009;
    }
    .panel > p {
      margin: 0;
    }
  `,
];

export const adminStyles = [baseStyles, sectionStyles, tableStyles];

/** For components with a dialog; the panel's own rules (errors, fields) come last and win. */
export const adminDialogStyles = [
  baseStyles,
  ...modalStyles,
  sectionStyles,
  tableStyles,
  // The element itself takes no room in its section: its dialog shows in the top layer.
  css`
    :host {
      display: contents;
    }
  `,
];
