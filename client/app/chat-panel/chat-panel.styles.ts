import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';

export const styles = [
  baseStyles,
  css`
    :host {
      display: block;
      min-height: 0;
    }
    section {
      height: 100%;
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
      padding: 0.75rem 1rem 1rem;
    }
    h2 {
      display: flex;
      align-items: center;
      gap: 0.45rem;
      font-size: 1.1rem;
      padding-bottom: 0.5rem;
      border-bottom: 1px solid var(--va-line);
    }
    h2 .icon {
      color: var(--va-muted);
    }
    .log {
      flex: 1 1 0;
      min-height: 6rem;
      overflow-y: auto;
      display: flex;
      flex-direction: column;
      gap: 0.15rem;
      /* Keeps the page from growing with the chat on wide screens. */
      max-height: calc(100dvh - 12rem);
    }
    .log li {
      padding: 0.2rem 0.35rem;
      border-radius: 6px;
      overflow-wrap: anywhere;
      line-height: 1.4;
    }
    .log li:hover {
      background: #ffffff06;
    }
    .log time {
      color: var(--va-muted);
      font-size: 0.78rem;
      font-variant-numeric: tabular-nums;
      margin-right: 0.35rem;
    }
    .log b {
      color: #9cc8f5;
      margin-right: 0.3rem;
    }
    .log li.mine b {
      color: #b9e6c9;
    }
    /* Stored lines from before this user came in: quieter, dated. */
    .log li.history {
      color: #aab3bd;
    }
    .log li.history b {
      color: #86a7c7;
    }
    .log li.history.mine b {
      color: #98bfa6;
    }
    .log li.divider {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      color: var(--va-muted);
      font-size: 0.78rem;
      padding: 0.35rem 0.35rem 0.15rem;
    }
    .log li.divider::before,
    .log li.divider::after {
      content: '';
      flex: 1;
      border-top: 1px solid var(--va-line);
    }
    .log li.divider:hover {
      background: none;
    }
    .notice {
      margin: 0;
      display: flex;
      align-items: center;
      gap: 0.4rem;
      padding: 0.2rem 0.2rem 0.2rem 0.6rem;
      border-radius: 6px;
      border: 1px solid #5a4a1c;
      background: #2f2812;
      color: #f3e2b0;
      font-size: 0.85rem;
    }
    .notice span {
      flex: 1;
      min-width: 0;
    }
    .notice button {
      padding: 0.2rem 0.35rem;
      line-height: 0;
    }
    .empty {
      color: var(--va-muted);
      margin: 0;
      font-size: 0.9rem;
    }
    form {
      display: flex;
      gap: 0.5rem;
    }
    input {
      flex: 1;
    }
  `,
];
