import { css } from 'lit';
import { baseStyles } from '../shared/base.styles.ts';

export const styles = [
  baseStyles,
  css`
    :host {
      display: grid;
      gap: 0.9rem;
    }
    .self {
      display: grid;
      grid-template-columns: 1fr 1fr;
      gap: 0.5rem;
    }
    .toggle {
      display: flex;
      align-items: center;
      justify-content: center;
      gap: 0.45rem;
      padding: 0.55rem 0.6rem;
    }
    .toggle.on {
      background: var(--va-danger-bg);
      border-color: #7a3438;
      color: #ffc9c9;
    }
    .toggle.on:hover {
      background: #4a2226;
    }
    fieldset {
      border: 0;
      margin: 0;
      padding: 0;
      display: flex;
      flex-wrap: wrap;
      gap: 0.35rem 1rem;
    }
    legend {
      padding: 0;
      margin-bottom: 0.35rem;
      font-size: 0.8rem;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--va-muted);
    }
    fieldset label {
      display: inline-flex;
      align-items: center;
      gap: 0.4rem;
      cursor: pointer;
    }
    .ptt {
      display: grid;
      gap: 0.4rem;
    }
    .ptt-key {
      display: flex;
      align-items: center;
      gap: 0.5rem;
    }
    kbd {
      font: inherit;
      font-size: 0.9rem;
      padding: 0.2rem 0.55rem;
      border: 1px solid var(--va-border);
      border-bottom-width: 3px;
      border-radius: 6px;
      background: var(--va-input);
    }
    kbd.down {
      border-color: var(--va-talk);
      color: var(--va-talk);
    }
    .level {
      display: grid;
      gap: 0.45rem;
    }
    .level-head {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      font-size: 0.8rem;
      text-transform: uppercase;
      letter-spacing: 0.06em;
      color: var(--va-muted);
    }
    .state {
      text-transform: none;
      letter-spacing: 0;
      font-size: 0.8rem;
      border-radius: 999px;
      padding: 0 0.45rem;
    }
    .state.off {
      color: #ffc9c9;
      background: var(--va-danger-bg);
    }
    .state.live {
      color: #0d2a19;
      background: var(--va-talk);
    }
    /* The slider's thumb centre travels a thumb-width shorter than the track: inset the meter to match. */
    level-meter {
      margin: 0 0.5rem;
    }
    .threshold {
      display: flex;
      justify-content: space-between;
      font-size: 0.9rem;
    }
    output {
      color: var(--va-muted);
      font-variant-numeric: tabular-nums;
    }
    input[type='range'] {
      width: 100%;
      margin: 0;
    }
  `,
];
