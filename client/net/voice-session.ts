/**
 * One client session: control lane state machine, WebRTC signalling for the
 * voice lane, reconnect with resume, and datagram send/receive with sequence
 * and timestamp. Written against the W3C WebSocket and RTCPeerConnection APIs
 * only, so the browser uses it with its own and Node with `ws` + @roamhq/wrtc
 * (client/node/node-voice-session.ts).
 */
import {
  CloseCode,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ChannelConfig,
  type ClientMessage,
  type ServerMessage,
  type ServerMessageOf,
} from '../../shared/control/protocol.ts';
import { FRAME_SAMPLES, SAMPLE_RATE, VOICE_CHANNEL_INIT, VOICE_CHANNEL_LABEL, VOICE_HEADER_BYTES } from '../../shared/voice/constants.ts';
import { advanceTimestamp, nextSequence, timestampDelta } from '../../shared/voice/sequence.ts';
import { createVoiceHeader, encodeVoiceDatagram, readVoiceHeader } from '../../shared/voice/voice-header.ts';
import { TypedEmitter } from '../../shared/util/typed-emitter.ts';
import { assertNever } from '../../shared/util/result.ts';
import { ConnectError, type ConnectFailure } from './connect-error.ts';
import { Roster } from './roster.ts';

export interface VoiceSessionPlatform {
  WebSocket: new (url: string) => WebSocket;
  RTCPeerConnection: new (config?: RTCConfiguration) => RTCPeerConnection;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

export interface VoiceSessionOptions {
  /** ws:// or wss:// URL of the control lane (…/control). */
  url: string;
  nickname: string;
  /** Account password: log in as the registered user `nickname`. Absent: join as a guest. */
  password?: string;
  /** Register `nickname` with `password` first (servers may refuse: `access-denied`). */
  register?: boolean;
  /** Control-lane ping period; two missed pongs count as a dropped lane. */
  pingIntervalMs?: number;
  /** How long to wait for ICE gathering before sending the offer anyway. */
  gatherTimeoutMs?: number;
}

export type VoiceSessionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type VoiceSessionEvents = {
  state: [VoiceSessionState];
  /** Every validated server message, after the roster has applied it. */
  message: [ServerMessage];
  /** The voice lane is open (after connect, resume or renegotiation). */
  'voice-open': [];
  /** The open voice lane closed or was replaced (`voiceOpen` is false now; a renegotiation may follow). */
  'voice-closed': [];
  /**
   * The codec settings of the channel this session is in changed: it moved,
   * or an admin edited its channel. Encode at these from now on.
   */
  'channel-config': [ChannelConfig];
  /** A datagram from the relay (header + payload), as received. */
  datagram: [Uint8Array];
  /** Round-trip time of a header-only ping over the voice lane, in ms. */
  'udp-rtt': [number];
  /** Round-trip time of a control-lane ping, in ms. */
  'tcp-rtt': [number];
  /**
   * Something went wrong on this side that the user may need to know (the voice lane, a bad frame
   * from the server); the session carries on unless `closed` follows. The server's own `error`
   * messages come as 'message'.
   */
  problem: [string];
  closed: [reason: string];
};

const RESUME_BACKOFF_MS = [100, 250, 500, 1000, 2000];

/**
 * How much audio may wait in the voice DataChannel's send buffer. The lane is
 * lossy on purpose: on a congested uplink a frame beyond this is dropped (the
 * receivers conceal it) instead of queued behind the others, which would only
 * add delay to everything after it.
 */
export const SEND_BACKLOG_MS = 100;

/** SEND_BACKLOG_MS of a channel's voice datagrams, in bytes. */
export function sendBacklogLimitBytes(config: ChannelConfig): number {
  const bytesPerSecond = config.bitrate / 8 + (VOICE_HEADER_BYTES * SAMPLE_RATE) / config.frameSamples;
  return Math.ceil((bytesPerSecond * SEND_BACKLOG_MS) / 1000);
}

const DEFAULT_CONFIG: ChannelConfig = { bitrate: 16_000, frameSamples: FRAME_SAMPLES };

export class VoiceSession extends TypedEmitter<VoiceSessionEvents> {
  readonly roster = new Roster();
  readonly #header = createVoiceHeader();
  readonly #platform: VoiceSessionPlatform;
  readonly #options: Required<VoiceSessionOptions>;
  #state: VoiceSessionState = 'connecting';
  #ws: WebSocket | null = null;
  #pc: RTCPeerConnection | null = null;
  /** The peer connection whose offer went out last (answers for others are stale). */
  #offered: RTCPeerConnection | null = null;
  #dc: RTCDataChannel | null = null;
  #token = 0;
  #resumeSecret = '';
  #resumeGraceMs = 0;
  #channelId = 0;
  #sequence = 0;
  #timestamp = 0;
  #anchorAt: number | null = null;
  #anchorTs = 0;
  #pingSequence = 0;
  #pingId = 0;
  #pendingPings = new Map<number, number>();
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #droppedAt = 0;
  #attempt = 0;
  #welcomeWaiters: { resolve: () => void; reject: (e: ConnectError) => void }[] = [];
  #denial: ServerMessageOf<'access-denied' | 'removed'> | null = null;
  #backlogDrops = 0;
  /** The channel config last announced with 'channel-config'. */
  #announcedConfig: ChannelConfig | null = null;
  /** Per-frame figures of that config, computed when it is announced, not per frame. */
  #frameSamples = FRAME_SAMPLES;
  #backlogLimitBytes = sendBacklogLimitBytes(DEFAULT_CONFIG);

  constructor(options: VoiceSessionOptions, platform: VoiceSessionPlatform) {
    super();
    this.#platform = platform;
    this.#options = { pingIntervalMs: 5000, gatherTimeoutMs: 2000, password: '', register: false, ...options };
  }

  // ---- public state -----------------------------------------------------------

  get state(): VoiceSessionState {
    return this.#state;
  }
  get sessionToken(): number {
    return this.#token;
  }
  get channelId(): number {
    return this.#channelId;
  }
  get channelConfig(): ChannelConfig | undefined {
    return this.roster.channels.get(this.#channelId)?.config;
  }
  /** Why the server refused the hello or removed this session, once it has (the session is then closed). */
  get denial(): ServerMessageOf<'access-denied' | 'removed'> | null {
    return this.#denial;
  }
  get voiceOpen(): boolean {
    return this.#dc?.readyState === 'open';
  }

  // ---- life cycle ---------------------------------------------------------------

  /**
   * Opens the control lane and says hello; resolves on welcome. Rejects with a
   * ConnectError whose `reason` says why there was none (unreachable, another
   * protocol version, refused…); calling it twice rejects with a plain Error.
   */
  connect(): Promise<void> {
    if (this.#ws) return Promise.reject(new Error('already connected'));
    const done = new Promise<void>((resolve, reject) => this.#welcomeWaiters.push({ resolve, reject }));
    this.#openSocket(false);
    return done;
  }

  /** Leaves for good: the server ends the session at once (no resume). */
  close(reason = 'closed by the user'): void {
    if (this.#state === 'closed') return;
    this.#ws?.close(CloseCode.normal, 'bye');
    this.#finish(reason);
  }

  // ---- control requests -----------------------------------------------------------

  join(channelId: number, password?: string): void {
    this.#send(password === undefined ? { type: 'join', channelId } : { type: 'join', channelId, password });
  }

  /** Joins and resolves once the server confirms; rejects with the reason if it refuses. */
  joinChannel(channelId: number, password?: string): Promise<void> {
    if (this.#channelId === channelId) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error): void => {
        offMessage();
        offClosed();
        if (error) reject(error);
        else resolve();
      };
      const offMessage = this.on('message', (m) => {
        if (m.type === 'joined' && m.channelId === channelId) done();
        else if (m.type === 'join-denied' && m.channelId === channelId) done(new Error(`join ${channelId} denied: ${m.reason}: ${m.message}`));
      });
      const offClosed = this.on('closed', (reason) => done(new Error(`join ${channelId}: session closed (${reason})`)));
      this.join(channelId, password);
    });
  }

  sendChat(text: string): void {
    this.#send({ type: 'chat', text });
  }

  setSelf(selfMute: boolean, selfDeaf: boolean): void {
    this.#send({ type: 'set-self', selfMute, selfDeaf });
  }

  /** Sends a control-lane ping; the answer arrives as a `tcp-rtt` event. */
  pingControl(): void {
    if (this.#ws?.readyState !== 1) return;
    const id = (this.#pingId = (this.#pingId + 1) >>> 0);
    this.#pendingPings.set(id, this.#platform.now());
    this.#send({ type: 'ping', id, clientTime: Date.now() });
  }

  // ---- voice lane ----------------------------------------------------------------

  /**
   * Sends one Opus frame with the next sequence. `timestamp` defaults to the
   * previous one + the channel's frame size (960 samples for 20 ms), moved on
   * by the frames not sent across a pause so it follows real time; pass the
   * capture clock's value to control it exactly.
   * `target` makes it a whisper to that session. Returns false when the lane is not open.
   */
  sendVoice(opus: Uint8Array, options: { timestamp?: number; target?: number } = {}): boolean {
    if (!this.voiceOpen || this.#token === 0) return false;
    const frameSamples = this.#frameSamples;
    let timestamp = options.timestamp;
    if (timestamp === undefined) {
      // The sample clock follows real time from an anchor: +frameSamples per frame while
      // frames flow, and on by the frames not sent across a pause or a skipped frame.
      // It never repeats or goes back (the relay and receivers read gaps and pace from it).
      const now = this.#platform.now();
      if (this.#anchorAt === null) {
        this.#anchorAt = now;
        this.#anchorTs = this.#timestamp;
      }
      const frameMs = (frameSamples * 1000) / SAMPLE_RATE;
      const real = (this.#anchorTs + Math.round((now - this.#anchorAt) / frameMs) * frameSamples) >>> 0;
      timestamp = timestampDelta(this.#timestamp, real) > 0 ? real : this.#timestamp;
    }
    const sequence = this.#sequence;
    this.#sequence = nextSequence(sequence);
    this.#timestamp = advanceTimestamp(timestamp, frameSamples);
    // Dropped as the network would drop it: the sequence moves on, so receivers see one lost frame.
    if (this.#dc!.bufferedAmount > this.#backlogLimitBytes) {
      this.#backlogDrops++;
      return false;
    }
    return this.sendDatagram(encodeVoiceDatagram({ token: this.#token, sequence, timestamp, target: options.target ?? 0 }, opus));
  }

  /** Frames sendVoice dropped because the voice lane's send buffer held more than SEND_BACKLOG_MS. */
  get backlogDrops(): number {
    return this.#backlogDrops;
  }

  /** A header-only ping over the voice lane; the echo arrives as `udp-rtt`. */
  pingVoice(): boolean {
    if (!this.voiceOpen || this.#token === 0) return false;
    const bytes = encodeVoiceDatagram({ token: this.#token, sequence: this.#pingSequence, timestamp: Math.floor(this.#platform.now()) >>> 0 }, new Uint8Array(0));
    this.#pingSequence = nextSequence(this.#pingSequence);
    return this.sendDatagram(bytes);
  }

  /** Sends raw bytes on the voice lane as they are. */
  sendDatagram(bytes: Uint8Array): boolean {
    const dc = this.#dc;
    if (!dc || dc.readyState !== 'open') return false;
    try {
      dc.send(bytes as Uint8Array<ArrayBuffer>);
      return true;
    } catch {
      return false;
    }
  }

  /** The next sequence number sendVoice will use. */
  get nextVoiceSequence(): number {
    return this.#sequence;
  }

  // ---- control lane internals -------------------------------------------------------

  #send(msg: ClientMessage): void {
    if (this.#ws?.readyState === 1) this.#ws.send(JSON.stringify(msg));
  }

  #openSocket(resume: boolean): void {
    let ws: WebSocket;
    try {
      ws = new this.#platform.WebSocket(this.#options.url);
    } catch (error) {
      // The browser refused the address (SyntaxError) or the page's policy did (SecurityError).
      this.#finish((error as Error).message, 'bad-address', { cause: error });
      return;
    }
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      opened = true;
      if (resume) this.#send({ type: 'resume', protocol: PROTOCOL_VERSION, sessionToken: this.#token, resumeSecret: this.#resumeSecret });
      else {
        const { nickname, password, register } = this.#options;
        this.#send({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          nickname,
          ...(password === '' ? {} : { password }),
          ...(register ? { register: true } : {}),
        });
      }
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.#ws !== ws) return;
      if (typeof event.data !== 'string') return this.#emitProblem('the server sent a binary control frame');
      const parsed = parseServerMessage(event.data);
      if (!parsed.ok) return this.#emitProblem(`invalid message from the server: ${parsed.reason}`);
      this.#onMessage(parsed.value);
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#onSocketClosed(event.code, event.reason, opened);
    };
    ws.onerror = () => {
      // The close event that follows carries the outcome.
    };
  }

  #onSocketClosed(code: number, reason: string, opened: boolean): void {
    this.#stopPinging();
    if (this.#state === 'closed') return;
    if (this.#token === 0) {
      // No welcome yet: a lane that never opened means nothing answered.
      if (opened) this.#finish(reason || `closed by the server (${code})`, 'closed');
      else this.#finish(reason || 'the server could not be reached', 'unreachable');
      return;
    }
    const final =
      code === CloseCode.normal ||
      code === CloseCode.goingAway ||
      code === CloseCode.superseded ||
      code === CloseCode.abuse ||
      code === CloseCode.protocolError ||
      code === CloseCode.denied ||
      code === CloseCode.removed;
    if (final) {
      this.#finish(reason || `closed by the server (${code})`);
      return;
    }
    if (this.#state !== 'reconnecting') {
      this.#droppedAt = this.#platform.now();
      this.#attempt = 0;
      this.#setState('reconnecting');
    }
    this.#scheduleResume();
  }

  #scheduleResume(): void {
    const elapsed = this.#platform.now() - this.#droppedAt;
    if (elapsed > this.#resumeGraceMs + 1000) {
      this.#finish('the server did not come back within the resume grace period');
      return;
    }
    const delay = RESUME_BACKOFF_MS[Math.min(this.#attempt, RESUME_BACKOFF_MS.length - 1)]!;
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#state === 'reconnecting') this.#openSocket(true);
    }, delay);
  }

  #onMessage(msg: ServerMessage): void {
    this.roster.apply(msg);
    switch (msg.type) {
      case 'welcome':
        this.#token = msg.sessionToken;
        this.#resumeSecret = msg.resumeSecret;
        this.#resumeGraceMs = msg.resumeGraceMs;
        this.#channelId = msg.channelId;
        this.#setState('connected');
        this.#startPinging();
        void this.#negotiate();
        for (const w of this.#welcomeWaiters.splice(0)) w.resolve();
        break;
      case 'resumed':
        this.#resumeSecret = msg.resumeSecret;
        this.#channelId = msg.channelId;
        this.#attempt = 0;
        this.#setState('connected');
        this.#startPinging();
        // The voice lane may have survived the control lane; renegotiate only if it did not.
        if (!this.#voiceHealthy()) void this.#negotiate();
        break;
      case 'resume-denied':
        this.#ws?.close(CloseCode.normal, 'resume denied');
        this.#finish(`resume refused: ${msg.message}`);
        break;
      case 'joined':
        this.#channelId = msg.channelId;
        this.roster.moveSelf(this.#token, msg.channelId);
        break;
      case 'rtc-answer':
        // Only the peer connection whose offer is outstanding takes an answer; an answer to an
        // older offer (renegotiation raced it) would wedge the new one.
        if (!this.#pc || this.#pc !== this.#offered || this.#pc.signalingState !== 'have-local-offer') break;
        this.#pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp }).catch((e: unknown) => {
          this.#emitProblem(`voice lane: could not apply the answer: ${(e as Error).message}`);
        });
        break;
      case 'rtc-renew':
        // The server closed our peer connection on its side (moved to another relay thread, or that
        // thread restarted) and answers a new offer where the session's voice now lives: offer at once
        // instead of waiting for ICE to notice. An answer still due for the old offer is discarded.
        // An offer still being prepared has not reached the server: it goes where the voice now lives.
        if (this.#state === 'connected' && (this.#pc === null || this.#offered === this.#pc)) void this.#negotiate();
        break;
      case 'rtc-candidate':
        if (msg.candidate !== '') {
          this.#pc?.addIceCandidate({ candidate: msg.candidate, sdpMid: msg.sdpMid, sdpMLineIndex: msg.sdpMLineIndex }).catch((e: unknown) => {
            this.#emitProblem(`voice lane: bad candidate from the server: ${(e as Error).message}`);
          });
        }
        break;
      case 'pong': {
        const sent = this.#pendingPings.get(msg.id);
        if (sent !== undefined) {
          this.#pendingPings.delete(msg.id);
          this.safeEmit('tcp-rtt', this.#platform.now() - sent);
        }
        break;
      }
      case 'error':
        // Not a 'problem': it is a message, typed by its code, for whoever listens to messages.
        if (msg.code === 'protocol-version') {
          for (const w of this.#welcomeWaiters.splice(0)) w.reject(new ConnectError('protocol-version', msg.message));
        }
        break;
      case 'access-denied':
        // The server closes the lane next; the close must not look like a lost lane.
        this.#denial = msg;
        this.#finish(msg.message, 'denied', { denial: msg });
        break;
      case 'removed':
        this.#denial = msg;
        this.#finish(msg.by === null ? msg.message : `${msg.message} (by ${msg.by})`);
        break;
      case 'join-denied':
      case 'user-joined':
      case 'user-left':
      case 'user-moved':
      case 'user-state':
      case 'chat':
      case 'chat-history':
      case 'channel-updated':
      case 'channel-removed':
      case 'user-role':
        break;
      default:
        assertNever(msg, 'server message');
    }
    this.safeEmit('message', msg);
    const config = this.channelConfig;
    const last = this.#announcedConfig;
    if (config && (!last || last.bitrate !== config.bitrate || last.frameSamples !== config.frameSamples)) {
      this.#announcedConfig = config;
      this.#frameSamples = config.frameSamples;
      this.#backlogLimitBytes = sendBacklogLimitBytes(config);
      this.safeEmit('channel-config', config);
    }
  }

  #startPinging(): void {
    this.#stopPinging();
    this.#pendingPings.clear();
    this.#pingTimer = setInterval(() => {
      // Two unanswered pings: the lane is dead even if TCP has not noticed.
      if (this.#pendingPings.size >= 2) {
        this.#pendingPings.clear();
        this.#ws?.close(4000, 'no pong');
        const ws = this.#ws;
        this.#ws = null;
        if (ws) this.#onSocketClosed(4000, 'no pong', true);
        return;
      }
      this.pingControl();
    }, this.#options.pingIntervalMs);
  }

  #stopPinging(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }

  // ---- voice lane internals ------------------------------------------------------------

  #voiceHealthy(): boolean {
    const s = this.#pc?.connectionState;
    return this.voiceOpen && (s === 'connected' || s === 'connecting');
  }

  async #negotiate(): Promise<void> {
    this.#closePeer();
    const pc = new this.#platform.RTCPeerConnection({ iceServers: [] });
    this.#pc = pc;
    const dc = pc.createDataChannel(VOICE_CHANNEL_LABEL, { ...VOICE_CHANNEL_INIT });
    dc.binaryType = 'arraybuffer';
    this.#dc = dc;
    dc.onopen = () => {
      if (this.#dc === dc) this.safeEmit('voice-open');
    };
    dc.onclose = () => {
      if (this.#dc === dc) this.safeEmit('voice-closed');
    };
    dc.onmessage = (event: MessageEvent) => {
      if (this.#dc !== dc || !(event.data instanceof ArrayBuffer)) return;
      this.#onDatagram(new Uint8Array(event.data));
    };
    pc.onconnectionstatechange = () => {
      if (this.#pc !== pc) return;
      if (pc.connectionState === 'failed' && this.#state === 'connected') {
        this.#emitProblem('voice lane failed; renegotiating');
        void this.#negotiate();
      }
    };
    let offerSent = false;
    pc.onicecandidate = (event: RTCPeerConnectionIceEvent) => {
      if (this.#pc !== pc || !offerSent) return;
      const c = event.candidate;
      this.#send({ type: 'rtc-candidate', candidate: c?.candidate ?? '', sdpMid: c?.sdpMid ?? null, sdpMLineIndex: c?.sdpMLineIndex ?? null });
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await this.#gathered(pc);
      if (this.#pc !== pc) return;
      const sdp = pc.localDescription?.sdp;
      if (!sdp) throw new Error('no local description');
      this.#send({ type: 'rtc-offer', sdp });
      offerSent = true;
      this.#offered = pc;
    } catch (e) {
      this.#emitProblem(`voice lane: could not create an offer: ${(e as Error).message}`);
    }
  }

  #gathered(pc: RTCPeerConnection): Promise<void> {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.#options.gatherTimeoutMs);
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  }

  #onDatagram(bytes: Uint8Array): void {
    // Our own header-only ping, echoed by the relay: the timestamp field carries our send time.
    // Only a header-sized datagram can be one, so voice frames are not parsed here.
    const h = this.#header;
    if (bytes.length === VOICE_HEADER_BYTES && readVoiceHeader(bytes, h) === null && h.kind === 'ping' && h.token === this.#token) {
      this.safeEmit('udp-rtt', ((Math.floor(this.#platform.now()) >>> 0) - h.timestamp) >>> 0);
      return;
    }
    this.safeEmit('datagram', bytes);
  }

  #closePeer(): void {
    const wasOpen = this.voiceOpen;
    const pc = this.#pc;
    this.#pc = null;
    this.#dc = null;
    pc?.close();
    if (wasOpen) this.safeEmit('voice-closed');
  }

  // ---- endings --------------------------------------------------------------------------

  #setState(state: VoiceSessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.safeEmit('state', state);
  }

  #emitProblem(text: string): void {
    this.safeEmit('problem', text);
  }

  /** Ends the session; a connect() still waiting for the welcome rejects with `failure` and `reason`. */
  #finish(reason: string, failure: ConnectFailure = 'closed', detail: { cause?: unknown; denial?: ServerMessageOf<'access-denied'> } = {}): void {
    if (this.#state === 'closed') return;
    this.#stopPinging();
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const ws = this.#ws;
    this.#ws = null;
    if (ws && ws.readyState <= 1) ws.close(CloseCode.normal, 'bye');
    this.#closePeer();
    this.#setState('closed');
    if (this.#welcomeWaiters.length > 0) {
      const error = new ConnectError(failure, reason, detail);
      for (const w of this.#welcomeWaiters.splice(0)) w.reject(error);
    }
    this.safeEmit('closed', reason);
  }
}

export type { ServerMessageOf };
