/**
 * The app's one connection: the VoiceSession, the AudioEngine attached to it,
 * and what the UI shows about them (phase, lane figures, alerts, the password
 * prompt, self mute/deaf, who is muted locally, the chat lines per channel). A reactive controller: every
 * change asks the host to render. Components below read the session and
 * engine it hands out and subscribe to their own live data (levels, chat,
 * roster).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { roleAtLeast } from '../../../shared/auth/roles.ts';
import type { ServerMessage, UserInfo } from '../../../shared/control/protocol.ts';
import { assertNever } from '../../../shared/util/result.ts';
import { AudioEngine } from '../../audio/audio-engine.ts';
import type { AudioSettings, EngineState } from '../../audio/engine-api.ts';
import type { VoiceSession, VoiceSessionState } from '../../net/voice-session.ts';
import { loadAudioSettings, saveAudioSettings } from '../storage/settings-store.ts';
import { loadUserPrefs, saveUserPrefs, type UserPrefs } from '../storage/user-prefs-store.ts';
import { dial, RTT_PERIOD_MS, type ConnectRequest } from './dial.ts';
import { ChatLog } from './chat-log.ts';
import { capitalise } from '../shared/wording.ts';
import { channelLabel, describeEngineProblem, describeJoinDenied, describeSessionEnd, STORAGE_NOTICE } from './messages.ts';
import { PlaybackPrefs } from './playback-prefs.ts';
import { SelfVoice } from './self-voice.ts';

export type Phase = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export interface AppAlert {
  id: number;
  text: string;
}

export interface PasswordPrompt {
  channelId: number;
  /** Why the last attempt failed; '' before the first. */
  error: string;
}

/** How long the chat's "not saved" notice stays up. */
const CHAT_NOTICE_MS = 8000;

export class ConnectionController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  phase: Phase = 'idle';
  session: VoiceSession | null = null;
  engine: AudioEngine | null = null;
  engineState: EngineState = 'idle';
  settings: AudioSettings = loadAudioSettings();
  serverName = '';
  /** Why the last attempt failed or the session ended, for the connect view. */
  connectProblem = '';
  udpRtt: number | null = null;
  tcpRtt: number | null = null;
  readonly self = new SelfVoice();
  pttDown = false;
  alerts: AppAlert[] = [];
  passwordPrompt: PasswordPrompt | null = null;
  /** Every channel's chat lines this session has seen (history and live). */
  readonly chat = new ChatLog();
  /** A quiet note under the chat ('' for none): a message went out but was not stored. */
  chatNotice = '';
  readonly #prefs = new PlaybackPrefs();
  #nickname = '';
  #noticeTimer: ReturnType<typeof setTimeout> | null = null;
  #off: (() => void)[] = [];
  #detach: (() => void) | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #alertId = 0;

  /** Session tokens of the people this user muted locally. */
  get localMuted(): ReadonlySet<number> {
    return this.#prefs.localMuted;
  }

  /** The voice lane is open now (the session's own state; its voice-open/voice-closed events re-render). */
  get voiceOpen(): boolean {
    return this.session?.voiceOpen ?? false;
  }

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  hostDisconnected(): void {
    this.disconnect();
  }

  /**
   * Call from the user's click: the engine starts before anything is awaited,
   * so the browser lets the AudioContext run and asks for the microphone.
   */
  connect(request: ConnectRequest): void {
    if (this.phase !== 'idle') return;
    this.alerts = [];
    this.connectProblem = '';
    const engine = new AudioEngine(this.settings);
    this.engine = engine;
    this.#off.push(
      engine.on('state', (state) => {
        if (this.engine !== engine) return;
        this.#set(() => (this.engineState = state));
      }),
      engine.on('problem', (problem) => {
        if (this.engine === engine) this.#alert(describeEngineProblem(problem));
      }),
    );
    engine.start().catch((error: unknown) => {
      // A start failure has already come as a 'problem' event, which the alert shows; chat still works.
      // An AbortError is a disconnect or cancel that closed the engine while it started: no failure.
      if (!(error instanceof DOMException && error.name === 'AbortError')) console.warn('[app] the audio engine did not start:', error);
    });
    void this.#open(request);
  }

  /** Leaves the server and stops audio. */
  disconnect(): void {
    this.#teardown('');
  }

  async #open(request: ConnectRequest): Promise<void> {
    this.#set(() => (this.phase = 'connecting'));
    this.#nickname = request.nickname.trim();
    const { session, connect } = dial(request);
    this.session = session;
    this.#off.push(
      session.on('state', (state) => this.#onState(state)),
      session.on('message', (m) => this.#onMessage(session, m)),
      session.on('voice-open', () => {
        session.pingVoice();
        this.#host.requestUpdate();
      }),
      session.on('voice-closed', () => this.#host.requestUpdate()),
      session.on('udp-rtt', (ms) => this.#set(() => (this.udpRtt = ms))),
      session.on('tcp-rtt', (ms) => this.#set(() => (this.tcpRtt = Math.round(ms)))),
      session.on('problem', (text) => {
        // While connecting, the outcome of connect() says what went wrong.
        if (this.phase !== 'connecting') this.#alert(text);
      }),
      session.on('closed', (reason) => {
        // A kick or ban stays on the connect view until the user connects again; nothing reconnects.
        if (this.phase !== 'connecting') this.#teardown(describeSessionEnd(session.denial, this.#nickname, reason));
      }),
    );
    try {
      await connect();
    } catch (error) {
      if (this.session === session) this.#teardown((error as Error).message);
      return;
    }
    if (this.session !== session || !this.engine) return;
    // The engine queues what it is told until its worker runs, so it can be attached and told at once.
    this.#detach = this.engine.attach(session);
    this.#pushSelf();
    this.#prefs.applyAll(session, this.engine);
    // Control pings are the session's own (every RTT_PERIOD_MS, see dial.ts); voice pings are ours.
    this.#timer = setInterval(() => {
      if (session.voiceOpen) session.pingVoice();
    }, RTT_PERIOD_MS);
    session.pingControl();
  }

  #teardown(problem: string): void {
    const session = this.session;
    const engine = this.engine;
    if (!session && !engine) return;
    this.session = null;
    this.engine = null;
    for (const off of this.#off.splice(0)) off();
    this.#detach?.();
    this.#detach = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.#noticeTimer = null;
    session?.close();
    if (engine) {
      this.engineState = 'closed';
      engine.close().catch((error: unknown) => console.error('[app] closing the audio engine failed:', error));
    }
    this.phase = 'idle';
    this.connectProblem = problem;
    this.serverName = '';
    this.udpRtt = null;
    this.tcpRtt = null;
    this.pttDown = false;
    this.passwordPrompt = null;
    this.chat.clear();
    this.chatNotice = '';
    this.#prefs.clear();
    this.#host.requestUpdate();
  }

  #onState(state: VoiceSessionState): void {
    switch (state) {
      case 'connecting':
      case 'connected':
      case 'reconnecting':
        this.#set(() => (this.phase = state));
        break;
      case 'closed':
        // The 'closed' event (with its reason) or connect()'s rejection ends the connection.
        break;
      default:
        assertNever(state, 'session state');
    }
  }

  #onMessage(session: VoiceSession, m: ServerMessage): void {
    const me = session.roster.users.get(session.sessionToken);
    this.chat.apply(m, { sessionToken: session.sessionToken, nickname: me?.nickname ?? this.#nickname });
    switch (m.type) {
      case 'welcome':
        this.serverName = m.serverName;
        break;
      case 'error':
        // A chat that was not stored gets the chat's own quiet notice; other errors an alert.
        if (m.code === 'storage') this.#showChatNotice(STORAGE_NOTICE);
        else if (this.phase !== 'connecting') this.#alert(`${m.code}: ${m.message}`);
        break;
      case 'resumed':
        this.#prefs.applyAll(session, this.engine);
        break;
      case 'user-joined':
        this.#prefs.apply(this.engine, m.user, loadUserPrefs(m.user.nickname));
        break;
      case 'joined':
        if (this.passwordPrompt?.channelId === m.channelId) this.passwordPrompt = null;
        break;
      case 'join-denied': {
        // While the password prompt is up for that channel, every refusal shows in it.
        const prompting = this.passwordPrompt?.channelId === m.channelId;
        if (m.reason === 'insufficient-role') {
          // No password helps here: the server's words, and the prompt (if any) goes.
          if (prompting) this.passwordPrompt = null;
          this.#alert(describeJoinDenied(channelLabel(session, m.channelId), m.message));
        } else if (m.reason === 'wrong-password') this.passwordPrompt = { channelId: m.channelId, error: 'Wrong password — try again.' };
        else if (m.reason === 'password-required' || prompting) this.passwordPrompt = { channelId: m.channelId, error: prompting ? capitalise(m.message) : '' };
        else this.#alert(describeJoinDenied(channelLabel(session, m.channelId), m.message));
        break;
      }
      default:
        break;
    }
    this.#host.requestUpdate();
  }

  // ---- what the UI asks for -------------------------------------------------------

  /**
   * A click on a channel: locked ones ask for their password first, unless this user's role is
   * too low for it anyway (then the server's refusal says so, with no pointless prompt).
   */
  requestJoin(channelId: number): void {
    const session = this.session;
    if (!session || channelId === session.channelId) return;
    const channel = session.roster.channels.get(channelId);
    const role = session.roster.users.get(session.sessionToken)?.role ?? 'guest';
    const allowed = channel?.requiredRole === undefined || roleAtLeast(role, channel.requiredRole);
    if (channel?.locked === true && allowed) this.#set(() => (this.passwordPrompt = { channelId, error: '' }));
    else this.#join(session, channelId);
  }

  submitPassword(channelId: number, password: string): void {
    if (this.session) this.#join(this.session, channelId, password);
  }

  cancelPassword(): void {
    this.#set(() => (this.passwordPrompt = null));
  }

  #join(session: VoiceSession, channelId: number, password?: string): void {
    session.joinChannel(channelId, password).catch((error: Error) => {
      // A refusal arrives as a join-denied message, which #onMessage shows; this is the log line.
      console.info(`[app] ${error.message}`);
    });
  }

  sendChat(text: string): void {
    this.session?.sendChat(text);
  }

  toggleMute(): void {
    this.self.toggleMute();
    this.#pushSelf();
  }

  toggleDeaf(): void {
    this.self.toggleDeaf();
    this.#pushSelf();
  }

  setPushToTalk(down: boolean): void {
    this.engine?.setPushToTalk(down);
    this.#set(() => (this.pttDown = down));
  }

  /** Applies and remembers settings. */
  updateSettings(partial: Partial<AudioSettings>): void {
    this.previewSettings(partial);
    saveAudioSettings(this.settings);
  }

  /** Applies settings without remembering them: a slider on its way; updateSettings follows when it is let go. */
  previewSettings(partial: Partial<AudioSettings>): void {
    this.settings = { ...this.settings, ...partial };
    this.engine?.update(partial).catch((error: Error) => this.#alert(`The audio settings could not be applied: ${error.message}`));
    this.#host.requestUpdate();
  }

  /** Applies and remembers (by nickname) what this user hears of another. */
  setUserPrefs(user: UserInfo, prefs: UserPrefs): void {
    saveUserPrefs(user.nickname, prefs);
    this.previewUserPrefs(user, prefs);
  }

  /** Applies without remembering: the volume slider on its way; setUserPrefs follows when it is let go. */
  previewUserPrefs(user: UserInfo, prefs: UserPrefs): void {
    this.#prefs.apply(this.engine, user, prefs);
    this.#host.requestUpdate();
  }

  dismissChatNotice(): void {
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.#noticeTimer = null;
    this.#set(() => (this.chatNotice = ''));
  }

  dismissAlert(id: number): void {
    this.#set(() => (this.alerts = this.alerts.filter((a) => a.id !== id)));
  }

  // ---- internals --------------------------------------------------------------------

  #pushSelf(): void {
    const { muted, deafened } = this.self;
    this.session?.setSelf(muted, deafened);
    this.engine?.setSelfMute(muted);
    this.engine?.setDeaf(deafened);
    this.#host.requestUpdate();
  }

  #showChatNotice(text: string): void {
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.chatNotice = text;
    this.#noticeTimer = setTimeout(() => this.dismissChatNotice(), CHAT_NOTICE_MS);
  }

  #alert(text: string): void {
    if (this.alerts.some((a) => a.text === text)) return;
    this.#set(() => (this.alerts = [...this.alerts, { id: ++this.#alertId, text }]));
  }

  #set(change: () => void): void {
    change();
    this.#host.requestUpdate();
  }
}

