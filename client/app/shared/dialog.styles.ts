/** The look of the app's modal dialogs (user menu, channel password). */
import { css } from 'lit';

export const dialogStyles = css`
  /* Non-modal: floats over the page without the top layer, so it places itself. */
  dialog {
    position: fixed;
    z-index: 10;
    inset: 4.5rem 0 auto;
    margin: 0 auto;
    width: min(22rem, calc(100vw - 2rem));
    padding: 0;
    border: 1px solid var(--va-border);
    border-radius: 12px;
    background: var(--va-panel);
    color: var(--va-text);
    box-shadow: 0 12px 40px #000a;
  }
  .panel {
    display: grid;
    gap: 0.9rem;
    padding: 1rem 1.1rem 1.1rem;
  }
  .head {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }
  .head h2 {
    flex: 1;
    font-size: 1.05rem;
    overflow-wrap: anywhere;
  }
  .close {
    padding: 0.3rem;
    line-height: 0;
  }
  .field {
    display: grid;
    gap: 0.35rem;
  }
  .line {
    display: flex;
    justify-content: space-between;
    gap: 0.5rem;
  }
  output {
    color: var(--va-muted);
    font-variant-numeric: tabular-nums;
  }
  .check {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    cursor: pointer;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    gap: 0.5rem;
  }
`;
