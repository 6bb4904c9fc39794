import { css } from 'lit';
import { adminStyles } from '../shared/admin.styles.ts';

export const styles = [
  ...adminStyles,
  css`
    .figures {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(10.5rem, 1fr));
      gap: 0.6rem;
      margin: 0;
    }
    .figure {
      padding: 0.55rem 0.7rem;
      border: 1px solid var(--va-line);
      border-radius: 10px;
      background: var(--va-bg);
      min-width: 0;
    }
    dt {
      color: var(--va-muted);
      font-size: 0.82rem;
    }
    dd {
      margin: 0.15rem 0 0;
      font-size: 1.2rem;
      font-weight: 600;
    }
    dd.detail {
      font-size: 0.8rem;
      font-weight: 400;
      color: var(--va-muted);
      overflow-wrap: anywhere;
    }
    .table-block {
      display: grid;
      gap: 0.4rem;
    }
    @media (max-width: 640px) {
      .figures {
        grid-template-columns: repeat(2, minmax(0, 1fr));
      }
    }
  `,
];
