import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    --level: 0;
    --threshold: 0.5;
  }
  .meter {
    position: relative;
    height: 0.7rem;
    border-radius: 999px;
    background: var(--va-input);
    border: 1px solid var(--va-border);
    overflow: hidden;
  }
  .fill {
    position: absolute;
    inset: 0;
    transform-origin: left center;
    transform: scaleX(var(--level));
    background: #5f6b78;
    transition: transform 60ms linear, background 120ms;
  }
  :host([open]) .fill {
    background: var(--va-talk);
  }
  .threshold {
    position: absolute;
    top: -1px;
    bottom: -1px;
    left: calc(var(--threshold) * 100%);
    width: 2px;
    margin-left: -1px;
    background: var(--va-warn);
  }
  @media (prefers-reduced-motion: reduce) {
    .fill {
      transition: none;
    }
  }
`;
