/**
 * What every component's shadow root shares: controls, focus ring, lists.
 * Colours come from custom properties on :root (client/src/page.css), which
 * inherit through shadow boundaries.
 */
import { css } from 'lit';

export const baseStyles = css`
  /* Set, not inherited: content slotted into a <details> inherits from its UA shadow, not from us. */
  :host,
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  button {
    font: inherit;
    color: inherit;
    cursor: pointer;
    border-radius: 6px;
    border: 1px solid var(--va-border);
    background: var(--va-raised);
    padding: 0.4rem 0.85rem;
    line-height: 1.25;
  }
  button:hover:not(:disabled) {
    background: var(--va-hover);
  }
  button:disabled {
    opacity: 0.55;
    cursor: default;
  }
  button.primary {
    background: var(--va-accent-bg);
    border-color: var(--va-accent);
  }
  button.primary:hover:not(:disabled) {
    background: var(--va-accent-hover);
  }
  button.quiet {
    background: none;
    border-color: transparent;
  }
  button.quiet:hover:not(:disabled) {
    background: var(--va-hover);
  }
  :focus-visible {
    outline: 2px solid var(--va-focus);
    outline-offset: 2px;
  }
  input,
  select {
    font: inherit;
    color: inherit;
    background: var(--va-input);
    border: 1px solid var(--va-border);
    border-radius: 6px;
    padding: 0.4rem 0.6rem;
    min-width: 0;
  }
  input[type='checkbox'],
  input[type='radio'],
  input[type='range'] {
    accent-color: var(--va-accent);
    padding: 0;
  }
  ul,
  ol {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  h2,
  h3 {
    margin: 0;
    font-weight: 600;
  }
  /* Every error box: form errors, the connect view's problem, the app's alerts, dialogs. */
  .error {
    margin: 0;
    padding: 0.55rem 0.75rem;
    border-radius: 8px;
    border: 1px solid var(--va-danger-border);
    background: var(--va-danger-bg);
    color: var(--va-danger-text);
    font-size: 0.92rem;
  }
  .hint {
    color: var(--va-muted);
    font-size: 0.85rem;
    margin: 0;
  }
  .icon {
    width: 1.1em;
    height: 1.1em;
    flex: none;
    vertical-align: -0.15em;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
    border: 0;
  }
`;
