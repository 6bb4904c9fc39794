import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';

export const styles = [
  baseStyles,
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
      gap: 0.5rem 1rem;
      flex-wrap: wrap;
      padding: 0.55rem 1rem;
      border-bottom: 1px solid var(--va-line);
      background: var(--va-panel);
    }
    .server {
      display: inline-flex;
      align-items: center;
      gap: 0.45rem;
      font-weight: 650;
      min-width: 0;
      overflow-wrap: anywhere;
    }
    .server .icon {
      color: var(--va-accent);
    }
    .status {
      color: var(--va-talk);
      font-size: 0.9rem;
    }
    .lane {
      display: inline-flex;
      align-items: center;
      gap: 0.35rem;
      color: var(--va-muted);
      font-size: 0.85rem;
      font-variant-numeric: tabular-nums;
    }
    .lane .dot {
      width: 0.5rem;
      height: 0.5rem;
      border-radius: 50%;
      background: var(--va-muted);
    }
    .lane[data-voice='open'] .dot {
      background: var(--va-talk);
    }
    .leave {
      margin-left: auto;
    }
    .reconnecting {
      position: sticky;
      top: 0;
      z-index: 2;
      display: flex;
      align-items: center;
      justify-content: center;
      gap: 0.6rem;
      padding: 0.6rem 1rem;
      background: #4a3b12;
      color: #fff3cf;
      font-weight: 600;
      box-shadow: 0 2px 10px #0008;
    }
    .spinner {
      width: 1rem;
      height: 1rem;
      border: 2px solid currentColor;
      border-right-color: transparent;
      border-radius: 50%;
      animation: spin 0.9s linear infinite;
    }
    @keyframes spin {
      to {
        transform: rotate(1turn);
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .spinner {
        animation: none;
      }
    }
    .alerts {
      display: grid;
      gap: 0.5rem;
      padding: 0.75rem 1rem 0;
    }
    /* An .error box (base styles) with a dismiss button. */
    .alert {
      display: flex;
      align-items: flex-start;
      gap: 0.5rem;
      padding: 0.55rem 0.6rem 0.55rem 0.9rem;
    }
    .alert p {
      margin: 0.15rem 0 0;
      flex: 1;
    }
    .alert button {
      padding: 0.25rem;
      line-height: 0;
    }
    .main {
      flex: 1;
      display: grid;
      grid-template-columns: minmax(15rem, 19rem) minmax(0, 1fr) minmax(16rem, 19rem);
      grid-template-areas: 'tree chat side';
      min-height: 0;
    }
    .main.stale {
      opacity: 0.55;
      filter: grayscale(0.4);
    }
    nav {
      grid-area: tree;
      border-right: 1px solid var(--va-line);
      padding: 0.75rem 0.5rem;
      overflow-y: auto;
    }
    chat-panel {
      grid-area: chat;
      min-width: 0;
    }
    .side > * {
      min-width: 0;
    }
    .side {
      grid-area: side;
      min-width: 0;
      display: grid;
      align-content: start;
      gap: 1rem;
      padding: 1rem;
      border-left: 1px solid var(--va-line);
      background: var(--va-panel);
    }
    /* Tablets: tree and controls share the left column, who is where first. */
    @media (max-width: 960px) {
      .main {
        grid-template-columns: minmax(15rem, 19rem) minmax(0, 1fr);
        grid-template-rows: auto 1fr;
        grid-template-areas: 'tree chat' 'side chat';
      }
      nav {
        border-bottom: 1px solid var(--va-line);
      }
      .side {
        border-left: 0;
        border-right: 1px solid var(--va-line);
      }
    }
    /* Phones: one column — own controls, who is where, then the chat. */
    @media (max-width: 640px) {
      header {
        padding: 0.5rem 0.75rem;
      }
      .main {
        grid-template-columns: minmax(0, 1fr);
        grid-template-rows: auto auto minmax(22rem, 1fr);
        grid-template-areas: 'side' 'tree' 'chat';
      }
      .side,
      nav {
        border-right: 0;
        border-bottom: 1px solid var(--va-line);
      }
      .side {
        padding: 0.75rem;
      }
      .alerts {
        padding: 0.5rem 0.75rem 0;
      }
    }
  `,
];
