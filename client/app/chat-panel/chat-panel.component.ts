/**
 * <chat-panel>: the current channel's text chat. Shows the lines the app holds
 * for that channel (client/app/voice-app/chat-log.ts): the stored history the
 * server sent on arrival, muted and dated, then the live lines. Sticks to the
 * newest unless the reader scrolled up. A quiet notice under the log says when
 * a message went out but the server could not store it.
 *
 * Test hooks: the heading is the channel name; lines are `.log li[data-chat-id]`
 * (`.history` for stored ones); the input is labelled "Message", the button
 * "Send"; the notice is `.notice` (role status).
 *
 * Events: `voice-chat-send` { text }, `voice-chat-notice-dismiss`.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { MAX_CHAT_LENGTH } from '../../../shared/control/protocol.ts';
import type { ChatLine } from '../voice-app/chat-log.ts';
import { channelIcon, closeIcon } from '../shared/icons.ts';
import { styles } from './chat-panel.styles.ts';

const timeOnly: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
const dateAndTime: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };

export class ChatPanel extends LitElement {
  static override styles = styles;
  static override properties = {
    channelId: { attribute: false },
    channelName: { attribute: false },
    lines: { attribute: false },
    notice: { attribute: false },
  };

  declare channelId: number;
  declare channelName: string;
  /** The channel's lines, oldest first; a new array whenever they change. */
  declare lines: readonly ChatLine[];
  /** '' for none. */
  declare notice: string;
  #stick = true;

  constructor() {
    super();
    this.channelId = 0;
    this.channelName = '';
    this.lines = [];
    this.notice = '';
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('channelId')) {
      this.#stick = true;
    } else if (changed.has('lines')) {
      // Measured before the new lines render: a reader who scrolled up stays where they are.
      const log = this.renderRoot.querySelector('.log');
      this.#stick = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    }
  }

  protected override updated(): void {
    if (!this.#stick) return;
    const log = this.renderRoot.querySelector('.log');
    if (log) log.scrollTop = log.scrollHeight;
  }

  readonly #onSubmit = (e: SubmitEvent): void => {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).elements.namedItem('text') as HTMLInputElement;
    const text = input.value.trim();
    if (!text) return;
    this.#stick = true;
    this.dispatchEvent(new CustomEvent('voice-chat-send', { detail: { text }, bubbles: true, composed: true }));
    input.value = '';
  };

  #line(l: ChatLine, afterHistory: boolean): TemplateResult {
    const at = new Date(l.serverTime);
    const label = l.history ? at.toLocaleString([], dateAndTime) : at.toLocaleTimeString([], timeOnly);
    return html`${afterHistory ? html`<li class="divider" role="separator"><span>New since you came in</span></li>` : nothing}
      <li class="${l.mine ? 'mine' : ''} ${l.history ? 'history' : ''}" data-chat-id=${l.id}>
        <time datetime=${at.toISOString()} title=${at.toLocaleString()}>${label}</time>
        <b>${l.from}</b>
        <span class="text">${l.text}</span>
      </li>`;
  }

  override render(): TemplateResult {
    const lines = this.lines;
    return html`
      <section aria-labelledby="chat-heading">
        <h2 id="chat-heading">${channelIcon}<span>${this.channelName}</span></h2>
        ${lines.length === 0 ? html`<p class="empty">No messages in ${this.channelName} yet.</p>` : nothing}
        <ol class="log" role="log" aria-label="Chat in ${this.channelName}">
          ${lines.map((l, i) => this.#line(l, !l.history && i > 0 && lines[i - 1]!.history))}
        </ol>
        ${this.notice
          ? html`<p class="notice" role="status">
              <span>${this.notice}</span>
              <button class="quiet" aria-label="Dismiss" title="Dismiss" @click=${() => this.dispatchEvent(new CustomEvent('voice-chat-notice-dismiss', { bubbles: true, composed: true }))}>
                ${closeIcon}
              </button>
            </p>`
          : nothing}
        <form @submit=${this.#onSubmit}>
          <input name="text" aria-label="Message" maxlength=${MAX_CHAT_LENGTH} autocomplete="off" enterkeyhint="send" placeholder="Message ${this.channelName}" />
          <button type="submit" class="primary">Send</button>
        </form>
      </section>
    `;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'voice-chat-send': CustomEvent<{ text: string }>;
    'voice-chat-notice-dismiss': CustomEvent<undefined>;
  }
}
