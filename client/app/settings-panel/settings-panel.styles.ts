import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';

export const styles = [
  baseStyles,
  css`
    :host {
      display: block;
    }
    details {
      border-top: 1px solid var(--va-line);
      padding-top: 0.75rem;
    }
    summary {
      cursor: pointer;
      font-size: 0.8rem;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--va-muted);
      border-radius: 4px;
    }
    summary:hover {
      color: var(--va-text);
    }
    /* minmax(0, …): long device names must not widen the panel past its column. */
    .body {
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 0.85rem;
      padding-top: 0.85rem;
    }
    .field {
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 0.3rem;
    }
    label {
      font-size: 0.92rem;
    }
    select {
      width: 100%;
      max-width: 100%;
      text-overflow: ellipsis;
    }
    fieldset {
      border: 0;
      margin: 0;
      padding: 0;
      display: grid;
      gap: 0.4rem;
    }
    legend {
      padding: 0;
      margin-bottom: 0.35rem;
      font-size: 0.92rem;
      color: #c5ccd4;
    }
    fieldset label {
      display: flex;
      align-items: center;
      gap: 0.45rem;
      cursor: pointer;
    }
  `,
];
