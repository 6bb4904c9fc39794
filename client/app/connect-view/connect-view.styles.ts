import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';

export const styles = [
  baseStyles,
  css`
    :host {
      display: block;
    }
    main {
      max-width: 58rem;
      margin: 0 auto;
      padding: clamp(1rem, 6vh, 4rem) 1rem 2rem;
      display: grid;
      gap: 1.5rem;
    }
    h1 {
      margin: 0;
      font-size: 1.6rem;
      letter-spacing: 0.01em;
    }
    .intro {
      display: grid;
      gap: 0.25rem;
    }
    .cards {
      display: grid;
      grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr);
      gap: 1rem;
      align-items: start;
    }
    @media (max-width: 720px) {
      .cards {
        grid-template-columns: minmax(0, 1fr);
      }
    }
    .card {
      display: grid;
      gap: 1rem;
      padding: 1.1rem;
      border: 1px solid var(--va-line);
      border-radius: 12px;
      background: var(--va-panel);
    }
    h2 {
      font-size: 1.05rem;
    }
    form {
      display: grid;
      gap: 0.8rem;
    }
    .row {
      display: flex;
      gap: 0.6rem;
    }
    .field {
      display: grid;
      gap: 0.3rem;
    }
    .grow {
      flex: 1;
      min-width: 0;
    }
    .port {
      width: 6.5rem;
    }
    label {
      font-size: 0.9rem;
      color: #c5ccd4;
    }
    .optional {
      color: var(--va-muted);
    }
    label.check {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      margin-top: 0.35rem;
      color: var(--va-text);
      width: fit-content;
    }
    label.check input {
      width: 1rem;
      height: 1rem;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      margin-top: 0.2rem;
    }
    .spacer {
      flex: 1;
    }
    /* Present while empty (a live region must exist before it speaks), without taking room. */
    .note:empty {
      margin-top: -1rem;
    }
    .note {
      margin: 0;
      color: var(--va-muted);
      font-size: 0.88rem;
    }
  `,
];
