/**
 * The audio engine on the main thread: one AudioContext at 48 kHz, the
 * microphone (with the browser's echo cancellation, noise suppression and auto
 * gain, each switchable), the capture and playback worklets, and the DSP
 * worker they share SharedArrayBuffer rings with:
 *
 *   mic → MediaStreamSource → [capture worklet] → ring → [DSP worker: gate, Opus] → VoiceSession.sendVoice
 *   VoiceSession 'datagram' → [DSP worker: jitter buffers, decode, volume, mix] → ring → [playback worklet] → speakers
 *
 * This thread only sets things up and carries packets between the worker and
 * the session; audio never passes through it.
 */
import type { ChannelConfig } from '../../shared/control/protocol.ts';
import { SAMPLE_RATE } from '../../shared/voice/constants.ts';
import { TypedEmitter } from '../../shared/util/typed-emitter.ts';
import { assertNever } from '../../shared/util/result.ts';
import type { VoiceSession } from '../net/voice-session.ts';
import {
  DEFAULT_AUDIO_SETTINGS,
  type AudioDevices,
  type AudioSettings,
  type EngineProblem,
  type EngineProblemKind,
  type EngineState,
  type LevelReport,
} from './engine-api.ts';
import type { FromWorker, ToWorker } from './rt/dsp-messages.ts';
import type { CaptureMark, PlayMark } from './rt/latency-probe.ts';
import type { CaptureProcessorOptions } from './rt/capture.worklet.ts';
import type { PlaybackProcessorOptions } from './rt/playback.worklet.ts';
import { SpscRing } from './rt/spsc-ring.ts';
import type { GateSettings } from './rt/transmit-gate.ts';
import captureWorkletUrl from './rt/capture.worklet.ts?worker&url';
import playbackWorkletUrl from './rt/playback.worklet.ts?worker&url';

/** 8192 samples = 170 ms: far more than either side ever holds. */
const RING_SAMPLES = 8192;
/** Samples the analyser keeps (the output tap tests and diagnostics read). */
const TAP_SAMPLES = 32768;

export type AudioEngineEvents = {
  state: [EngineState];
  level: [LevelReport];
  problem: [EngineProblem];
};

export class AudioEngine extends TypedEmitter<AudioEngineEvents> {
  #settings: AudioSettings;
  #state: EngineState = 'idle';
  #ctx: AudioContext | null = null;
  #worker: Worker | null = null;
  #captureNode: AudioWorkletNode | null = null;
  #playbackNode: AudioWorkletNode | null = null;
  #analyser: AnalyserNode | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #stream: MediaStream | null = null;
  /** Bumped by each microphone open; an open that finds it moved on was superseded. */
  #micGeneration = 0;
  #session: VoiceSession | null = null;
  #channel: ChannelConfig | null = null;
  /** Messages posted before the worker said `ready` (settings, channel): sent in order once it has. */
  #pending: [ToWorker, Transferable[]][] | null = [];
  /** Rejects start()'s wait for the worker's `ready` (close() ends that wait). */
  #abortReady: ((error: Error) => void) | null = null;
  #probeWaiters: ((m: { captures: CaptureMark[]; plays: PlayMark[] }) => void)[] = [];

  constructor(settings: Partial<AudioSettings> = {}) {
    super();
    this.#settings = { ...DEFAULT_AUDIO_SETTINGS, ...settings };
  }

  get state(): EngineState {
    return this.#state;
  }
  get settings(): Readonly<AudioSettings> {
    return this.#settings;
  }
  get audioContext(): AudioContext | null {
    return this.#ctx;
  }

  /**
   * Opens the audio path. Call it inside the user's click (browsers start an
   * AudioContext only from a gesture). Resolves once playback runs, even when
   * the microphone is refused: the engine then listens only, and a `problem`
   * event says why. If close() comes first, it rejects with an AbortError
   * (and no problem event): the engine stays closed.
   */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`the audio engine is ${this.#state}`);
    this.#setState('starting');
    try {
      const ctx = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
      this.#ctx = ctx;
      // Awaited after the worker is up; settled to a value so that leaving early (close(), a
      // failed module) does not leave a rejection unhandled.
      const resumed = ctx.resume().then(
        () => null,
        (error: unknown) => error,
      );
      await Promise.all([ctx.audioWorklet.addModule(captureWorkletUrl), ctx.audioWorklet.addModule(playbackWorkletUrl)]);
      this.#stillStarting();
      const capture = SpscRing.create(RING_SAMPLES);
      const playback = SpscRing.create(RING_SAMPLES);
      const bell = new SharedArrayBuffer(16);

      const playbackNode = new AudioWorkletNode(ctx, 'voice-playback', {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { ring: playback.buffer, bell } satisfies PlaybackProcessorOptions,
      });
      const analyser = new AnalyserNode(ctx, { fftSize: TAP_SAMPLES });
      playbackNode.connect(analyser).connect(ctx.destination);
      this.#playbackNode = playbackNode;
      this.#analyser = analyser;
      this.#captureNode = new AudioWorkletNode(ctx, 'voice-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: 'explicit',
        channelInterpretation: 'speakers',
        processorOptions: { ring: capture.buffer, bell } satisfies CaptureProcessorOptions,
      });

      const worker = new Worker(new URL('./rt/dsp-worker.ts', import.meta.url), { type: 'module', name: 'voice-dsp' });
      this.#worker = worker;
      const ready = new Promise<void>((resolve, reject) => {
        this.#abortReady = reject;
        worker.onmessage = (e: MessageEvent<FromWorker>) => {
          if (e.data.type === 'ready') resolve();
          this.#onWorker(e.data);
        };
        worker.onerror = (e) => reject(new Error(e.message || 'the DSP worker failed to load'));
      });
      worker.postMessage({
        type: 'init',
        capture: capture.buffer,
        playback: playback.buffer,
        bell,
        deviceBufferSamples: Math.round(ctx.baseLatency * SAMPLE_RATE),
        gate: this.#gate(),
        playout: this.#settings.playout,
      } satisfies ToWorker);
      await ready;
      this.#abortReady = null;
      this.#stillStarting();
      for (const [m, t] of this.#pending ?? []) worker.postMessage(m, t);
      this.#pending = null;
      worker.onerror = (e) => this.#problem('audio-failed', `the audio worker stopped: ${e.message}`);
      const resumeError = await resumed;
      this.#stillStarting();
      if (resumeError !== null) throw resumeError;
      if (this.#settings.outputDeviceId) await this.#applySink();
      this.#stillStarting();
      this.#setState('running');
    } catch (error) {
      this.#abortReady = null;
      // Closed while starting: what close() did stands, and it is not a failure to report.
      if ((this.#state as EngineState) === 'closed') throw closedWhileStarting();
      this.#problem('audio-failed', `audio could not start: ${(error as Error).message}`);
      await this.close();
      throw error;
    }
    await this.#openMic();
  }

  /** Connects the engine to a session: frames out, datagrams in, the channel's codec settings. */
  attach(session: VoiceSession): () => void {
    this.#session = session;
    const offDatagram = session.on('datagram', (bytes) => {
      const copy = bytes.slice();
      this.#post({ type: 'datagram', bytes: copy.buffer, at: performance.timeOrigin + performance.now() }, [copy.buffer]);
    });
    const offConfig = session.on('channel-config', () => this.#syncChannel());
    this.#syncChannel();
    return () => {
      offDatagram();
      offConfig();
      if (this.#session === session) this.#session = null;
    };
  }

  async update(partial: Partial<AudioSettings>): Promise<void> {
    const before = this.#settings;
    const s = (this.#settings = { ...before, ...partial });
    if (s.mode !== before.mode || s.vadThresholdDb !== before.vadThresholdDb || s.vadHangoverMs !== before.vadHangoverMs) {
      this.#post({ type: 'gate', gate: this.#gate() });
    }
    if (s.playout !== before.playout) this.#post({ type: 'playout', mode: s.playout });
    if (s.outputDeviceId !== before.outputDeviceId) await this.#applySink();
    if (
      s.inputDeviceId !== before.inputDeviceId ||
      s.echoCancellation !== before.echoCancellation ||
      s.noiseSuppression !== before.noiseSuppression ||
      s.autoGainControl !== before.autoGainControl
    ) {
      if (this.#state === 'running') await this.#openMic();
    }
  }

  setPushToTalk(down: boolean): void {
    this.#post({ type: 'ptt', down });
  }
  setSelfMute(muted: boolean): void {
    this.#post({ type: 'self-mute', muted });
  }
  setDeaf(deaf: boolean): void {
    this.#post({ type: 'deaf', deaf });
  }
  setUserVolume(token: number, volume: number): void {
    this.#post({ type: 'user-volume', token, volume });
  }
  setUserMuted(token: number, muted: boolean): void {
    this.#post({ type: 'user-mute', token, muted });
  }

  async listDevices(): Promise<AudioDevices> {
    const all = await navigator.mediaDevices.enumerateDevices();
    const pick = (kind: MediaDeviceKind) =>
      all.filter((d) => d.kind === kind).map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${kind === 'audioinput' ? 'Microphone' : 'Speaker'} ${i + 1}` }));
    return { inputs: pick('audioinput'), outputs: pick('audiooutput'), outputSelectable: 'setSinkId' in AudioContext.prototype };
  }

  /** The last ~0.68 s of what the engine played (after the mix and volume), for tests and diagnostics. */
  outputTap(): Float32Array {
    const a = this.#analyser;
    const out = new Float32Array(a?.fftSize ?? 0);
    a?.getFloatTimeDomainData(out);
    return out;
  }

  /** bench:latency: start watching for impulses on both sides (see rt/latency-probe.ts). */
  startLatencyProbe(threshold = 0.25): void {
    this.#post({ type: 'probe-start', threshold });
  }

  /** bench:latency: the marks so far, with each play mark's context frame mapped to the shared clock (ms). */
  async readLatencyProbe(): Promise<{ captures: CaptureMark[]; plays: (PlayMark & { audibleAt: number })[] }> {
    const marks = await new Promise<{ captures: CaptureMark[]; plays: PlayMark[] }>((resolve) => {
      this.#probeWaiters.push(resolve);
      this.#post({ type: 'probe-read' });
    });
    const ctx = this.#ctx;
    if (!ctx) return { captures: marks.captures, plays: [] };
    // getOutputTimestamp: the context time being heard now, and when (this page's performance clock).
    const ts = ctx.getOutputTimestamp();
    const heardFrame = (ts.contextTime ?? 0) * ctx.sampleRate;
    const heardAt = performance.timeOrigin + (ts.performanceTime ?? 0);
    const plays = marks.plays.map((p) => {
      const delta = ((p.contextFrame - heardFrame) | 0) / ctx.sampleRate; // frames are low 32 bits; deltas are small
      return { ...p, audibleAt: heardAt + delta * 1000 };
    });
    return { captures: marks.captures, plays };
  }

  /** `outputTap` as a plain array (what crosses into a test harness). */
  outputTapArray(): number[] {
    return Array.from(this.outputTap());
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#closeMic();
    if (this.#pending === null) this.#post({ type: 'close' });
    else this.#worker?.terminate(); // never got ready: nothing to close gracefully
    this.#abortReady?.(closedWhileStarting()); // start() must not wait for a ready that will never come
    this.#abortReady = null;
    this.#worker = null;
    this.#pending = null;
    this.#captureNode?.disconnect();
    this.#playbackNode?.disconnect();
    this.#analyser?.disconnect();
    const ctx = this.#ctx;
    this.#ctx = null;
    if (ctx && ctx.state !== 'closed') await ctx.close();
  }

  // ---- internals --------------------------------------------------------------

  /** After each of start()'s awaits: close() may have run meanwhile. */
  #stillStarting(): void {
    if (this.#state !== 'starting') throw closedWhileStarting();
  }

  #post(message: ToWorker, transfer: Transferable[] = []): void {
    if (this.#pending === null) this.#worker?.postMessage(message, transfer);
    else if (message.type !== 'datagram') this.#pending.push([message, transfer]);
  }

  #gate(): GateSettings {
    const s = this.#settings;
    return { mode: s.mode, thresholdDb: s.vadThresholdDb, hangoverMs: s.vadHangoverMs };
  }

  #onWorker(m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        break;
      case 'frame':
        this.#session?.sendVoice(new Uint8Array(m.opus), { timestamp: m.timestamp });
        break;
      case 'report': {
        const voiceUp = this.#session?.voiceOpen ?? false;
        const report = { ...m.report, transmitting: m.report.transmitting && voiceUp };
        this.safeEmit('level', report);
        break;
      }
      case 'probe-marks':
        for (const w of this.#probeWaiters.splice(0)) w(m);
        break;
      case 'error':
        this.#problem('audio-failed', m.message);
        break;
      default:
        assertNever(m, 'worker message');
    }
  }

  #syncChannel(): void {
    const config = this.#session?.channelConfig;
    if (!config) return;
    const c = this.#channel;
    if (c && c.bitrate === config.bitrate && c.frameSamples === config.frameSamples) return;
    this.#channel = config;
    this.#post({ type: 'channel', config });
  }

  async #openMic(): Promise<void> {
    const ctx = this.#ctx;
    const node = this.#captureNode;
    if (!ctx || !node) return;
    // Opens overlap when settings change while a permission prompt or a device switch is pending:
    // only the newest may keep its stream, or two microphones would feed the capture node.
    const generation = ++this.#micGeneration;
    this.#closeMic();
    const s = this.#settings;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#problem('mic-failed', 'this browser gives no access to microphones here (a secure context — HTTPS or localhost — is required)');
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          ...(s.inputDeviceId ? { deviceId: { exact: s.inputDeviceId } } : {}),
          echoCancellation: s.echoCancellation,
          noiseSuppression: s.noiseSuppression,
          autoGainControl: s.autoGainControl,
          channelCount: { ideal: 1 },
        },
      });
    } catch (error) {
      if (generation !== this.#micGeneration) return; // a newer open decides what the user is told
      const e = error as DOMException;
      const kind: EngineProblemKind =
        e.name === 'NotAllowedError' || e.name === 'SecurityError'
          ? 'mic-denied'
          : e.name === 'NotFoundError' || e.name === 'OverconstrainedError'
            ? 'mic-absent'
            : 'mic-failed';
      this.#problem(kind, micMessage(kind, e));
      return;
    }
    if (this.#ctx !== ctx || this.#state === 'closed' || generation !== this.#micGeneration) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    this.#stream = stream;
    this.#source = ctx.createMediaStreamSource(stream);
    this.#source.connect(node);
    const track = stream.getAudioTracks()[0];
    track?.addEventListener('ended', () => {
      if (this.#stream === stream) this.#problem('mic-absent', 'the microphone was disconnected');
    });
  }

  #closeMic(): void {
    this.#source?.disconnect();
    this.#source = null;
    for (const t of this.#stream?.getTracks() ?? []) t.stop();
    this.#stream = null;
  }

  async #applySink(): Promise<void> {
    const ctx = this.#ctx as (AudioContext & { setSinkId?(id: string): Promise<void> }) | null;
    if (!ctx) return;
    if (typeof ctx.setSinkId !== 'function') {
      if (this.#settings.outputDeviceId) this.#problem('output-failed', 'this browser cannot choose the output device; the system default is used');
      return;
    }
    try {
      await ctx.setSinkId(this.#settings.outputDeviceId);
    } catch (error) {
      this.#problem('output-failed', `the output device could not be used: ${(error as Error).message}`);
    }
  }

  #problem(kind: EngineProblemKind, message: string): void {
    this.safeEmit('problem', { kind, message });
  }

  #setState(state: EngineState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.safeEmit('state', state);
  }
}

function closedWhileStarting(): DOMException {
  return new DOMException('the audio engine was closed while starting', 'AbortError');
}

function micMessage(kind: EngineProblemKind, e: DOMException): string {
  switch (kind) {
    case 'mic-denied':
      return 'Microphone access was denied — you can listen, but others can\'t hear you. Allow the microphone in the browser\'s site settings and reconnect.';
    case 'mic-absent':
      return "No microphone found — you can listen, but others can't hear you. Connect one (or pick another in Audio settings) and reconnect.";
    default:
      return `The microphone could not be opened (${e.name}: ${e.message}). You can still listen.`;
  }
}
