/**
 * The few line icons the app draws, 24×24, stroked in currentColor. Decorative:
 * the text or label next to each one carries the meaning.
 */
import { svg, type SVGTemplateResult } from 'lit';

const icon = (body: SVGTemplateResult): SVGTemplateResult =>
  svg`<svg class="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${body}</svg>`;

export const micIcon = icon(svg`<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 10a7 7 0 0 0 14 0M12 17v4M8 21h8"/>`);
export const micOffIcon = icon(
  svg`<path d="M3 3l18 18M9 9v1a3 3 0 0 0 5.1 2.1M15 9.3V5a3 3 0 0 0-5.7-1.3"/><path d="M19 10a7 7 0 0 1-1.1 3.8M5 10a7 7 0 0 0 11.2 5.6M12 17v4M8 21h8"/>`,
);
export const headphonesIcon = icon(svg`<path d="M3 18v-6a9 9 0 0 1 18 0v6"/><rect x="3" y="14" width="4" height="7" rx="1.5"/><rect x="17" y="14" width="4" height="7" rx="1.5"/>`);
export const headphonesOffIcon = icon(
  svg`<path d="M3 3l18 18M3 18v-6a9 9 0 0 1 3-6.7M9.2 3.4A9 9 0 0 1 21 12v4"/><rect x="3" y="14" width="4" height="7" rx="1.5"/><path d="M17 17v2.5A1.5 1.5 0 0 0 18.5 21h1"/>`,
);
export const speakerOffIcon = icon(svg`<path d="M11 5L6 9H3v6h3l5 4zM22 9l-6 6M16 9l6 6"/>`);
export const lockIcon = icon(svg`<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>`);
export const channelIcon = icon(svg`<path d="M4 9h16M4 15h16M10 3L8 21M16 3l-2 18"/>`);
export const serverIcon = icon(svg`<rect x="3" y="4" width="18" height="7" rx="2"/><rect x="3" y="13" width="18" height="7" rx="2"/><path d="M7 7.5h.01M7 16.5h.01"/>`);
export const closeIcon = icon(svg`<path d="M6 6l12 12M18 6L6 18"/>`);
/** A rosette with a tick: a registered account. */
export const registeredIcon = icon(
  svg`<path d="M12 2l2.4 1.8 3-.2.9 2.9 2.5 1.7-1 2.8 1 2.8-2.5 1.7-.9 2.9-3-.2L12 22l-2.4-1.8-3 .2-.9-2.9-2.5-1.7 1-2.8-1-2.8 2.5-1.7.9-2.9 3 .2z"/><path d="M8.5 12l2.3 2.3 4.7-4.6"/>`,
);
