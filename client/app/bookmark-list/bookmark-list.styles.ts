import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';

export const styles = [
  baseStyles,
  css`
    :host {
      display: block;
    }
    ul {
      display: grid;
      gap: 0.4rem;
    }
    li {
      display: flex;
      align-items: center;
      gap: 0.25rem;
      border: 1px solid var(--va-line);
      border-radius: 8px;
      background: var(--va-raised);
      padding: 0.2rem;
    }
    .open {
      flex: 1;
      min-width: 0;
      display: flex;
      align-items: center;
      gap: 0.65rem;
      text-align: left;
      border: 0;
      background: none;
      padding: 0.45rem 0.6rem;
    }
    .open .icon {
      color: var(--va-accent);
      width: 1.3em;
      height: 1.3em;
    }
    .text {
      display: grid;
      min-width: 0;
    }
    .label {
      font-weight: 600;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    /* Wraps between the nickname and the address, never inside either. */
    .where {
      color: var(--va-muted);
      font-size: 0.85rem;
      overflow: hidden;
      text-overflow: ellipsis;
    }
    .where span {
      white-space: nowrap;
    }
    .pw {
      color: var(--va-muted);
      margin-left: auto;
    }
    .quiet {
      font-size: 0.85rem;
      padding: 0.35rem 0.5rem;
      color: var(--va-muted);
    }
    .quiet:hover {
      color: var(--va-text);
    }
    .danger:hover {
      color: var(--va-danger);
    }
    .empty {
      color: var(--va-muted);
      margin: 0;
      font-size: 0.9rem;
    }
  `,
];
