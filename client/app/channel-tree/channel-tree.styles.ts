import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';

export const styles = [
  baseStyles,
  css`
    :host {
      display: block;
    }
    /* Inline style attributes are blocked by the CSP (style-src 'self'): nesting does the indenting. */
    .tree .tree {
      padding-left: 0.9rem;
      margin-left: 0.55rem;
      border-left: 1px solid var(--va-line);
    }
    .channel {
      width: 100%;
      display: flex;
      align-items: center;
      gap: 0.45rem;
      border: 0;
      background: none;
      padding: 0.35rem 0.5rem;
      text-align: left;
    }
    .channel .icon {
      color: var(--va-muted);
    }
    .channel .name {
      flex: 1;
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .channel.here {
      background: var(--va-here);
      font-weight: 600;
    }
    .channel.here .icon {
      color: var(--va-accent);
    }
    .lock {
      color: var(--va-warn);
      line-height: 0;
    }
    .role-badge {
      flex: none;
      padding: 0 0.35rem;
      border-radius: 999px;
      border: 1px solid #4b5563;
      color: #c7ced6;
      font-size: 0.72rem;
      font-weight: 500;
      line-height: 1.35;
    }
    .user .role-badge {
      border-color: #3d5f86;
      color: #a9cdf4;
    }
    .registered {
      flex: none;
      color: var(--va-accent);
      line-height: 0;
    }
    .registered .icon {
      width: 0.95em;
      height: 0.95em;
    }
    .count {
      color: var(--va-muted);
      font-size: 0.78rem;
      font-variant-numeric: tabular-nums;
    }
    .users {
      padding: 0.1rem 0 0.25rem 1.2rem;
    }
    .user {
      width: 100%;
      display: flex;
      align-items: center;
      gap: 0.5rem;
      padding: 0.22rem 0.5rem;
      border: 0;
      border-radius: 6px;
      background: none;
      text-align: left;
      color: #cfd6dd;
    }
    span.user {
      cursor: default;
    }
    .talk {
      width: 0.6rem;
      height: 0.6rem;
      flex: none;
      border-radius: 50%;
      background: #3a414b;
      transition: background 80ms, box-shadow 80ms;
    }
    li[data-speaking='true'] .talk {
      background: var(--va-talk);
      box-shadow: 0 0 0 3px #3ddc8433;
    }
    li[data-speaking='true'] .nick {
      color: #eafff2;
    }
    .nick {
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .me .nick {
      font-weight: 600;
    }
    .you {
      color: var(--va-muted);
      font-size: 0.8rem;
    }
    .flags {
      display: inline-flex;
      gap: 0.3rem;
      margin-left: auto;
      color: var(--va-danger);
    }
  `,
];
