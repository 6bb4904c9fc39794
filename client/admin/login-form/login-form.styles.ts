import { css } from 'lit';
import { adminStyles } from '../shared/admin.styles.ts';

export const styles = [
  ...adminStyles,
  css`
    .notice {
      margin: 0;
      padding: 0.55rem 0.75rem;
      border-radius: 8px;
      border: 1px solid #6b5a24;
      background: #3a3217;
      color: #fff0c2;
      font-size: 0.92rem;
    }
    .notice:empty {
      display: none;
    }
    a {
      color: var(--va-focus);
    }
  `,
];
