/**
 * The app shell: connect, see the channel tree with who is where, move between
 * channels, chat in the current one, and watch both lanes (control RTT over the
 * WebSocket, voice-lane RTT over the DataChannel). Microphone capture and
 * playback plug into the session's voice lane (issue #4).
 */
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import type { ChannelInfo, ServerMessage, UserInfo } from '../../shared/control/protocol.ts';
import type { VoiceSession, VoiceSessionState } from '../net/voice-session.ts';
import { createBrowserVoiceSession, pageControlUrl } from '../browser/browser-voice-session.ts';

const NICK_KEY = 'voice-app.nickname';
const MAX_CHAT_LINES = 200;

interface ChatLine {
  id: number;
  from: string;
  text: string;
  time: string;
}

export class VoiceApp extends LitElement {
  static override properties = {
    nickname: { state: true },
    state: { state: true },
    problem: { state: true },
    version: { state: true },
    udpRtt: { state: true },
    tcpRtt: { state: true },
    voiceOpen: { state: true },
  };

  declare nickname: string;
  declare state: VoiceSessionState | 'idle';
  declare problem: string;
  /** Bumped whenever the roster or chat changes, to re-render. */
  declare version: number;
  declare udpRtt: number | null;
  declare tcpRtt: number | null;
  declare voiceOpen: boolean;

  #session: VoiceSession | null = null;
  #chat: ChatLine[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor() {
    super();
    this.nickname = localStorage.getItem(NICK_KEY) ?? '';
    this.state = 'idle';
    this.problem = '';
    this.version = 0;
    this.udpRtt = null;
    this.tcpRtt = null;
    this.voiceOpen = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#leave();
  }

  async #connect(event: Event): Promise<void> {
    event.preventDefault();
    const nickname = this.nickname.trim();
    if (!nickname) return;
    localStorage.setItem(NICK_KEY, nickname);
    this.problem = '';
    this.#chat = [];
    const s = createBrowserVoiceSession({ url: pageControlUrl(), nickname });
    this.#session = s;
    s.on('state', (state) => {
      this.state = state;
      if (state !== 'connected') this.voiceOpen = false;
    });
    s.on('message', (m) => this.#onMessage(m));
    s.on('voice-open', () => {
      this.voiceOpen = true;
      s.pingVoice();
    });
    s.on('udp-rtt', (ms) => (this.udpRtt = ms));
    s.on('tcp-rtt', (ms) => (this.tcpRtt = Math.round(ms)));
    s.on('problem', (text) => (this.problem = text));
    s.on('closed', (reason) => {
      this.problem = reason;
      this.state = 'closed';
      this.#stopTimer();
    });
    this.state = 'connecting';
    try {
      await s.connect();
    } catch (e) {
      this.problem = (e as Error).message;
      return;
    }
    this.#stopTimer();
    this.#timer = setInterval(() => {
      this.voiceOpen = s.voiceOpen;
      if (s.voiceOpen) s.pingVoice();
      s.pingControl();
    }, 2000);
  }

  #leave(): void {
    this.#stopTimer();
    this.#session?.close();
    this.#session = null;
    this.state = 'idle';
    this.voiceOpen = false;
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #onMessage(m: ServerMessage): void {
    if (m.type === 'chat') {
      const line = { id: m.id, from: m.sender.nickname, text: m.text, time: new Date(m.serverTime).toLocaleTimeString() };
      this.#chat = [...this.#chat.slice(-(MAX_CHAT_LINES - 1)), line];
    } else if (m.type === 'join-denied') {
      this.problem = m.message;
    } else if (m.type === 'joined') {
      this.#chat = [];
      this.problem = '';
    }
    this.version++;
  }

  #sendChat(event: Event): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const input = form.elements.namedItem('text') as HTMLInputElement;
    const text = input.value.trim();
    if (!text || !this.#session) return;
    this.#session.sendChat(text);
    input.value = '';
  }

  #channelTree(parentId: number | null): TemplateResult[] {
    const s = this.#session!;
    const children = [...s.roster.channels.values()].filter((c) => c.parentId === parentId).sort((a, b) => a.position - b.position || a.id - b.id);
    return children.map((c: ChannelInfo) => {
      const users = s.roster.usersIn(c.id).sort((a, b) => a.nickname.localeCompare(b.nickname));
      const here = s.channelId === c.id;
      return html`
        <li>
          <button class="channel ${here ? 'here' : ''}" aria-current=${here ? 'true' : 'false'} @click=${() => s.join(c.id)}>
            <span class="name">${c.name}</span>
            <span class="meta">${Math.round(c.config.bitrate / 1000)} kbps</span>
          </button>
          ${users.length > 0
            ? html`<ul class="users">
                ${users.map((u: UserInfo) => html`<li class=${u.sessionToken === s.sessionToken ? 'me' : ''}>
                  ${u.nickname}${u.selfDeaf ? html` <span class="flag" title="deafened">deaf</span>` : u.selfMute ? html` <span class="flag" title="muted">muted</span>` : nothing}
                </li>`)}
              </ul>`
            : nothing}
          <ul class="tree">${this.#channelTree(c.id)}</ul>
        </li>
      `;
    });
  }

  override render(): TemplateResult {
    if (this.state === 'idle' || (this.state === 'closed' && !this.#session?.sessionToken)) {
      return html`
        <main class="connect">
          <h1>voice-app</h1>
          <form @submit=${this.#connect}>
            <label for="nick">Nickname</label>
            <input id="nick" name="nick" autocomplete="nickname" maxlength="32" required .value=${this.nickname}
              @input=${(e: Event) => (this.nickname = (e.target as HTMLInputElement).value)} />
            <button type="submit">Connect</button>
          </form>
          ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
          <p class="hint">${crossOriginIsolated ? 'Cross-origin isolated: ready for the audio pipeline.' : 'Not cross-origin isolated: the server must send COOP/COEP headers.'}</p>
        </main>
      `;
    }
    const s = this.#session!;
    const channel = s.roster.channels.get(s.channelId);
    return html`
      <header>
        <strong>voice-app</strong>
        <span class="status ${this.state}" role="status">${this.state === 'reconnecting' ? 'Reconnecting…' : this.state}</span>
        <span class="lane" data-voice=${this.voiceOpen ? 'open' : 'closed'}>voice lane ${this.voiceOpen ? 'open' : 'closed'}${this.udpRtt !== null ? html` · UDP ${this.udpRtt} ms` : nothing}${this.tcpRtt !== null ? html` · TCP ${this.tcpRtt} ms` : nothing}</span>
        <button @click=${() => this.#leave()}>Disconnect</button>
      </header>
      ${this.problem ? html`<p class="problem" role="alert">${this.problem}</p>` : nothing}
      <div class="main">
        <nav aria-label="Channels"><ul class="tree">${this.#channelTree(null)}</ul></nav>
        <section class="chat" aria-label="Chat in ${channel?.name ?? ''}">
          <h2>${channel?.name ?? ''}</h2>
          <ol class="log">
            ${this.#chat.map((l) => html`<li><time>${l.time}</time> <b>${l.from}</b> ${l.text}</li>`)}
          </ol>
          <form @submit=${this.#sendChat}>
            <input name="text" aria-label="Message" maxlength="2000" autocomplete="off" placeholder="Message ${channel?.name ?? ''}" />
            <button type="submit">Send</button>
          </form>
        </section>
      </div>
    `;
  }

  static override styles = css`
    :host { display: block; min-height: 100vh; }
    button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid #3a4048; background: #262b33; color: inherit; padding: 0.35rem 0.8rem; }
    button:hover { background: #2f3640; }
    button:focus-visible, input:focus-visible { outline: 2px solid #63b3ed; outline-offset: 1px; }
    input { font: inherit; border-radius: 6px; border: 1px solid #3a4048; background: #1b1f24; color: inherit; padding: 0.4rem 0.6rem; }
    .connect { max-width: 22rem; margin: 12vh auto; display: grid; gap: 1rem; padding: 0 1rem; }
    .connect form { display: grid; gap: 0.5rem; }
    .hint { color: #8b949e; font-size: 0.85rem; }
    .problem { color: #fbb; background: #3b1d1d; padding: 0.5rem 0.75rem; border-radius: 6px; margin: 0.5rem 1rem; }
    header { display: flex; gap: 1rem; align-items: center; padding: 0.6rem 1rem; border-bottom: 1px solid #2a2f36; flex-wrap: wrap; }
    header button { margin-left: auto; }
    .status { text-transform: capitalize; color: #9ae6b4; }
    .status.reconnecting { color: #f6e05e; }
    .status.closed { color: #fc8181; }
    .lane { color: #8b949e; font-size: 0.9rem; }
    .main { display: grid; grid-template-columns: minmax(14rem, 20rem) 1fr; min-height: calc(100vh - 3.2rem); }
    @media (max-width: 640px) { .main { grid-template-columns: 1fr; } }
    nav { border-right: 1px solid #2a2f36; padding: 0.5rem; }
    ul { list-style: none; margin: 0; padding: 0; }
    /* Inline style attributes are blocked by the CSP (style-src 'self'): nesting does the indenting. */
    .tree .tree { padding-left: 1rem; }
    .channel { width: 100%; display: flex; justify-content: space-between; border: 0; background: none; padding: 0.3rem 0.5rem; }
    .channel.here { background: #1f3a5a; }
    .channel .meta { color: #8b949e; font-size: 0.8rem; }
    .users li { padding: 0.15rem 0.5rem 0.15rem 1.6rem; color: #c9d1d9; }
    .users li.me { font-weight: 600; }
    .flag { font-size: 0.75rem; color: #f6ad55; }
    .chat { display: grid; grid-template-rows: auto 1fr auto; padding: 0.5rem 1rem; gap: 0.5rem; }
    .chat h2 { margin: 0; font-size: 1.1rem; }
    .log { list-style: none; margin: 0; padding: 0; overflow-y: auto; }
    .log li { padding: 0.15rem 0; }
    .log time { color: #8b949e; font-size: 0.8rem; }
    .chat form { display: flex; gap: 0.5rem; }
    .chat input { flex: 1; }
  `;
}

customElements.define('voice-app', VoiceApp);

declare global {
  interface HTMLElementTagNameMap {
    'voice-app': VoiceApp;
  }
}
