import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';
import { dialogStyles } from '../shared/dialog.styles.ts';

export const styles = [
  baseStyles,
  dialogStyles,
  css`
    :host([anchored]) dialog {
      inset: var(--menu-top) auto auto var(--menu-left);
      margin: 0;
    }
    input[type='range'] {
      width: 100%;
      margin: 0;
    }
    .reset {
      justify-self: start;
    }
  `,
];
