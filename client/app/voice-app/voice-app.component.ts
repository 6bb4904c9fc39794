/**
 * <voice-app>: the shell. The connect view until a session is up, then the
 * main view — the channel tree with who is talking, the current channel's
 * chat, the user's own voice controls and audio settings — with the
 * reconnecting banner, alerts, the per-user menu and the channel password
 * dialog over it. State lives in ConnectionController; this renders it.
 *
 * Test hooks on the host: `data-engine-state` (EngineState) and
 * `data-session-state` (idle, connecting, connected, reconnecting).
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { UserInfo } from '../../../shared/control/protocol.ts';
import type { AudioEngine } from '../../audio/audio-engine.ts';
import type { AudioSettings } from '../../audio/engine-api.ts';
import type { VoiceSession } from '../../net/voice-session.ts';
import { PushToTalkController } from '../controllers/push-to-talk-controller.ts';
import { closeIcon, serverIcon } from '../shared/icons.ts';
import { DEFAULT_USER_PREFS, loadUserPrefs, type UserPrefs } from '../storage/user-prefs-store.ts';
import { ConnectionController } from './connection-controller.ts';
import type { ConnectRequest } from './dial.ts';
import { styles } from './voice-app.styles.ts';

export class VoiceApp extends LitElement {
  static override styles = styles;
  static override properties = {
    menuUser: { state: true },
    menuPrefs: { state: true },
    menuAnchor: { state: true },
  };

  /** The person whose menu is open. */
  declare menuUser: UserInfo | null;
  declare menuPrefs: UserPrefs;
  declare menuAnchor: DOMRect | null;

  readonly #conn = new ConnectionController(this);
  readonly #ptt = new PushToTalkController(this, {
    key: () => (this.#conn.session && this.#conn.settings.mode === 'ptt' ? this.#conn.settings.pttKey : null),
    onChange: (down) => this.#conn.setPushToTalk(down),
  });

  constructor() {
    super();
    this.menuUser = null;
    this.menuPrefs = { ...DEFAULT_USER_PREFS };
    this.menuAnchor = null;
  }

  /** The running audio engine, if connected (for diagnostics and tests). */
  get engine(): AudioEngine | null {
    return this.#conn.engine;
  }
  /** The current session, if any (for diagnostics and tests). */
  get session(): VoiceSession | null {
    return this.#conn.session;
  }

  protected override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    if (!this.#conn.session) this.menuUser = null;
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    this.dataset['engineState'] = this.#conn.engineState;
    this.dataset['sessionState'] = this.#conn.phase;
  }

  override render(): TemplateResult {
    const c = this.#conn;
    if (!c.session || c.phase === 'idle' || c.phase === 'connecting') {
      return html`<connect-view
        ?busy=${c.phase === 'connecting'}
        .problem=${c.connectProblem}
        @voice-connect=${(e: CustomEvent<ConnectRequest>) => c.connect(e.detail)}
        @voice-cancel=${() => c.disconnect()}
      ></connect-view>`;
    }
    return this.#main(c.session);
  }

  #main(session: VoiceSession): TemplateResult {
    const c = this.#conn;
    const reconnecting = c.phase === 'reconnecting';
    const channel = session.roster.channels.get(session.channelId);
    const prompt = c.passwordPrompt;
    return html`
      <header>
        <span class="server" title="Server">${serverIcon}<span>${c.serverName || 'voice-app'}</span></span>
        ${reconnecting ? nothing : html`<span class="status" role="status">Connected</span>`}
        <span class="lane" data-voice=${c.voiceOpen ? 'open' : 'closed'}>
          <span class="dot" aria-hidden="true"></span>Voice ${c.voiceOpen ? 'open' : 'closed'}${c.udpRtt !== null ? html` · UDP ${c.udpRtt} ms` : nothing}${c.tcpRtt !== null ? html` · TCP ${c.tcpRtt} ms` : nothing}
        </span>
        <button class="leave" @click=${() => c.disconnect()}>Disconnect</button>
      </header>
      ${reconnecting ? html`<div class="reconnecting" role="status"><span class="spinner" aria-hidden="true"></span>Reconnecting…</div>` : nothing}
      ${c.alerts.length > 0
        ? html`<div class="alerts">
            ${c.alerts.map(
              (a) => html`<div class="alert error" role="alert">
                <p>${a.text}</p>
                <button class="quiet" aria-label="Dismiss" title="Dismiss" @click=${() => c.dismissAlert(a.id)}>${closeIcon}</button>
              </div>`,
            )}
          </div>`
        : nothing}
      <div class="main ${reconnecting ? 'stale' : ''}" ?inert=${reconnecting}>
        <section class="side" aria-label="Your voice">
          <voice-controls
            .engine=${c.engine}
            .settings=${c.settings}
            ?muted=${c.self.muted}
            ?deafened=${c.self.deafened}
            ?ptt-down=${c.pttDown}
            @voice-toggle-mute=${() => c.toggleMute()}
            @voice-toggle-deaf=${() => c.toggleDeaf()}
            @voice-settings-change=${this.#onSettings}
            @voice-settings-preview=${(e: CustomEvent<Partial<AudioSettings>>) => c.previewSettings(e.detail)}
          ></voice-controls>
          <settings-panel .engine=${c.engine} .settings=${c.settings} @voice-settings-change=${this.#onSettings}></settings-panel>
        </section>
        <nav aria-label="Channels">
          <channel-tree
            .session=${session}
            .engine=${c.engine}
            .localMuted=${c.localMuted}
            @voice-channel-activate=${(e: CustomEvent<{ channelId: number }>) => c.requestJoin(e.detail.channelId)}
            @voice-user-select=${(e: CustomEvent<{ user: UserInfo; anchor: DOMRect }>) => this.#openMenu(e.detail.user, e.detail.anchor)}
          ></channel-tree>
        </nav>
        <chat-panel
          .channelId=${session.channelId}
          .channelName=${channel?.name ?? ''}
          .lines=${c.chat.lines(session.channelId)}
          .notice=${c.chatNotice}
          @voice-chat-send=${(e: CustomEvent<{ text: string }>) => c.sendChat(e.detail.text)}
          @voice-chat-notice-dismiss=${() => c.dismissChatNotice()}
        ></chat-panel>
      </div>
      <user-menu
        .user=${this.menuUser}
        .prefs=${this.menuPrefs}
        .anchor=${this.menuAnchor}
        @voice-user-prefs=${(e: CustomEvent<{ user: UserInfo; prefs: UserPrefs }>) => {
          this.menuPrefs = e.detail.prefs;
          c.setUserPrefs(e.detail.user, e.detail.prefs);
        }}
        @voice-user-prefs-preview=${(e: CustomEvent<{ user: UserInfo; prefs: UserPrefs }>) => {
          this.menuPrefs = e.detail.prefs;
          c.previewUserPrefs(e.detail.user, e.detail.prefs);
        }}
        @voice-menu-close=${() => (this.menuUser = null)}
      ></user-menu>
      <password-dialog
        .channelName=${prompt ? (session.roster.channels.get(prompt.channelId)?.name ?? '') : ''}
        .channelId=${prompt?.channelId ?? 0}
        .error=${prompt?.error ?? ''}
        ?open=${prompt !== null}
        @voice-channel-password=${(e: CustomEvent<{ channelId: number; password: string }>) => c.submitPassword(e.detail.channelId, e.detail.password)}
        @voice-password-cancel=${() => c.cancelPassword()}
      ></password-dialog>
    `;
  }

  readonly #onSettings = (e: CustomEvent<Partial<AudioSettings>>): void => {
    const before = this.#conn.settings;
    this.#conn.updateSettings(e.detail);
    const after = this.#conn.settings;
    // Leaving push-to-talk or moving the key lets go of a held key.
    if (after.mode !== before.mode || after.pttKey !== before.pttKey) this.#ptt.release();
  };

  #openMenu(user: UserInfo, anchor: DOMRect): void {
    this.menuPrefs = loadUserPrefs(user.nickname);
    this.menuAnchor = anchor;
    this.menuUser = user;
  }
}
