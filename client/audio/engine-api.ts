/**
 * What the UI sees of the audio engine (client/audio/audio-engine.ts): settings
 * it can change, the reports it gets back, the problems it must show. The
 * engine owns the AudioContext, the microphone, the worklets and the DSP worker;
 * the UI never touches audio objects.
 */

export type TransmitMode = 'vad' | 'ptt';

export interface AudioSettings {
  /** '' = the system default. */
  inputDeviceId: string;
  /** '' = the system default; applied with AudioContext.setSinkId where supported. */
  outputDeviceId: string;
  /** The browser's own WebRTC audio processing on the microphone. */
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
  /** Voice activation or push-to-talk. */
  mode: TransmitMode;
  /** Voice activation threshold in dBFS (frame RMS), -80..0. */
  vadThresholdDb: number;
  /** How long voice activation stays open after the level falls below the threshold, ms. */
  vadHangoverMs: number;
  /** KeyboardEvent.code of the push-to-talk key (works while the page has focus). */
  pttKey: string;
  /** Playout: the seed's fixed 40 ms, or adaptive to measured jitter. */
  playout: 'fixed' | 'adaptive';
}

export const DEFAULT_AUDIO_SETTINGS: Readonly<AudioSettings> = Object.freeze({
  inputDeviceId: '',
  outputDeviceId: '',
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
  mode: 'vad',
  vadThresholdDb: -50,
  vadHangoverMs: 400,
  pttKey: 'Space',
  playout: 'adaptive',
});

/** About 20 times a second while the engine runs. */
export interface LevelReport {
  /** Microphone level of the last frame, dBFS (-100 when silent or no microphone). */
  inputDb: number;
  /** The voice-activation gate is open (level over threshold, or within the hang-over). */
  vadOpen: boolean;
  /** Frames are going out: gate open (VAD) or key held (PTT), not self-muted, lane up. */
  transmitting: boolean;
  /** Session tokens of the people heard in the last ~200 ms. */
  speaking: readonly number[];
  /** Playback level of the mix, dBFS. */
  outputDb: number;
}

export type EngineProblemKind =
  | 'mic-denied' // the user or the browser refused the microphone
  | 'mic-absent' // no microphone, or the chosen one is gone
  | 'mic-failed' // any other getUserMedia failure
  | 'output-failed' // the chosen output device could not be used
  | 'audio-failed'; // the AudioContext, a worklet or the codec could not start

export interface EngineProblem {
  kind: EngineProblemKind;
  message: string;
}

export type EngineState = 'idle' | 'starting' | 'running' | 'closed';

export interface AudioDevices {
  inputs: { deviceId: string; label: string }[];
  outputs: { deviceId: string; label: string }[];
  /** False where AudioContext.setSinkId does not exist: the output picker is disabled. */
  outputSelectable: boolean;
}
