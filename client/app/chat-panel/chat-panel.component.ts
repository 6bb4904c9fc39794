/**
 * <chat-panel>: the current channel's text chat. Keeps the lines since the
 * last channel change (the server scopes chat to the channel) and sticks to
 * the newest unless the reader scrolled up.
 *
 * Test hooks: the heading is the channel name; lines are `.log li`; the input
 * is labelled "Message", the button "Send".
 *
 * Events: `voice-chat-send` { text }.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { ServerMessage } from '../../../shared/control/protocol.ts';
import { MAX_CHAT_LENGTH } from '../../../shared/control/protocol.ts';
import type { VoiceSession } from '../../net/voice-session.ts';
import { EmitterSubscription } from '../controllers/emitter-subscription.ts';
import { channelIcon } from '../shared/icons.ts';
import { styles } from './chat-panel.styles.ts';

const MAX_LINES = 200;

interface ChatLine {
  id: number;
  from: string;
  mine: boolean;
  text: string;
  time: string;
}

export class ChatPanel extends LitElement {
  static override styles = styles;
  static override properties = {
    session: { attribute: false },
    channelName: { attribute: false },
    lines: { state: true },
  };

  declare session: VoiceSession | null;
  declare channelName: string;
  declare lines: readonly ChatLine[];
  #stick = true;

  readonly #sub = new EmitterSubscription<VoiceSession>(this, (s) => [s.on('message', (m) => this.#onMessage(s, m))]);

  constructor() {
    super();
    this.session = null;
    this.channelName = '';
    this.lines = [];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('session')) {
      this.#sub.follow(this.session);
      if (changed.get('session')) this.lines = [];
    }
  }

  #onMessage(s: VoiceSession, m: ServerMessage): void {
    if (m.type === 'chat') {
      const log = this.renderRoot.querySelector('.log');
      this.#stick = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      const line = { id: m.id, from: m.sender.nickname, mine: m.sender.sessionToken === s.sessionToken, text: m.text, time: new Date(m.serverTime).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) };
      this.lines = [...this.lines.slice(-(MAX_LINES - 1)), line];
    } else if (m.type === 'joined') {
      this.lines = [];
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

  override render(): TemplateResult {
    return html`
      <section aria-labelledby="chat-heading">
        <h2 id="chat-heading">${channelIcon}<span>${this.channelName}</span></h2>
        ${this.lines.length === 0 ? html`<p class="empty">No messages in ${this.channelName} yet.</p>` : nothing}
        <ol class="log" role="log" aria-label="Chat in ${this.channelName}">
          ${this.lines.map(
            (l) => html`<li class=${l.mine ? 'mine' : ''}>
              <time>${l.time}</time>
              <b>${l.from}</b>
              <span class="text">${l.text}</span>
            </li>`,
          )}
        </ol>
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
  }
}
