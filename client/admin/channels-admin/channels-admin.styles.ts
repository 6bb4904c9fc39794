import { css } from 'lit';
import { adminStyles } from '../shared/admin.styles.ts';

export const styles = [
  ...adminStyles,
  css`
    .tree li {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.3rem 0.8rem;
      padding: 0.45rem 0.5rem;
      border-bottom: 1px solid var(--va-line);
    }
    /* Depth as indentation (data-depth, 0–6), with a guide line for subchannels. */
    .tree li:not([data-depth='0']) {
      border-left: 2px solid var(--va-line);
    }
    .tree li[data-depth='1'] { margin-left: 1.1rem; }
    .tree li[data-depth='2'] { margin-left: 2.2rem; }
    .tree li[data-depth='3'] { margin-left: 3.3rem; }
    .tree li[data-depth='4'] { margin-left: 4.4rem; }
    .tree li[data-depth='5'] { margin-left: 5.5rem; }
    .tree li[data-depth='6'] { margin-left: 6.6rem; }
    .name {
      font-weight: 600;
      overflow-wrap: anywhere;
    }
    .name .icon {
      color: var(--va-warn);
    }
    .details {
      flex: 1;
      color: var(--va-muted);
      font-size: 0.88rem;
    }
    @media (max-width: 640px) {
      .tree li[data-depth='1'] { margin-left: 0.6rem; }
      .tree li[data-depth='2'] { margin-left: 1.2rem; }
      .tree li[data-depth='3'] { margin-left: 1.8rem; }
      .tree li[data-depth='4'] { margin-left: 2.4rem; }
      .tree li[data-depth='5'] { margin-left: 3rem; }
      .tree li[data-depth='6'] { margin-left: 3.6rem; }
      .details {
        flex-basis: 100%;
      }
    }
  `,
];
