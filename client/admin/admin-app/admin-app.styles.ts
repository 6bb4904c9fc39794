import { css } from 'lit';
import { adminStyles } from '../shared/admin.styles.ts';

export const styles = [
  ...adminStyles,
  css`
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100vh;
      min-height: 100dvh;
    }
    header {
      display: flex;
      align-items: center;
      flex-wrap: wrap;
      gap: 0.5rem 1rem;
      padding: 0.55rem 1rem;
      border-bottom: 1px solid var(--va-line);
      background: var(--va-panel);
    }
    .brand {
      display: inline-flex;
      align-items: center;
      gap: 0.45rem;
      font-weight: 650;
    }
    .brand .icon {
      color: var(--va-accent);
    }
    nav {
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem;
      flex: 1;
    }
    nav a {
      color: inherit;
      text-decoration: none;
      padding: 0.35rem 0.75rem;
      border-radius: 6px;
      border: 1px solid transparent;
    }
    nav a:hover {
      background: var(--va-hover);
    }
    nav a[aria-current='page'] {
      background: var(--va-here);
      border-color: var(--va-accent);
    }
    .who {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      overflow-wrap: anywhere;
    }
    main {
      width: 100%;
      max-width: 72rem;
      margin: 0 auto;
      padding: 1rem;
      display: grid;
      gap: 1rem;
      align-content: start;
    }
    main.login {
      max-width: 26rem;
      padding-top: clamp(1rem, 10vh, 5rem);
    }
    .checking {
      margin: 3rem auto;
      color: var(--va-muted);
    }
    @media (max-width: 640px) {
      header {
        padding: 0.5rem 0.75rem;
      }
      .brand {
        flex: 1;
      }
      nav {
        order: 3;
        flex-basis: 100%;
      }
      main {
        padding: 0.75rem;
      }
    }
    /* Phones: brand, name and Log out fit one line without the role badge. */
    @media (max-width: 420px) {
      .who .badge {
        display: none;
      }
    }
  `,
];
