/**
 * The DSP worker: owns the Opus encoder and the receive side (DspCore) and runs
 * them whenever a worklet rings the doorbell — the capture worklet when a frame
 * is waiting, the output worklet when its ring runs low — so both sides run on
 * the audio clock, not on timers. Between wake-ups it handles messages
 * (datagrams, settings). Reports levels to the UI about 20 times a second.
 */
import { assertNever } from '../../../shared/util/result.ts';
import { DspCore } from './dsp-core.ts';
import type { FromWorker, ToWorker } from './dsp-messages.ts';
import { LatencyProbe } from './latency-probe.ts';
import { LowWater } from './low-water.ts';
import { RingSlot, SpscRing } from './spsc-ring.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  close(): void;
}
const self = globalThis as unknown as WorkerScope;

const REPORT_EVERY_MS = 50;
const EVICT_EVERY_MS = 1000;
/** Longest sleep between wake-ups when no worklet rings (suspended context, no microphone). */
const MAX_WAIT_MS = 20;

let core: DspCore | null = null;
let playback: SpscRing | null = null;
let bell: Int32Array | null = null;
let lowWater: LowWater | null = null;
let closed = false;

function post(message: FromWorker, transfer?: Transferable[]): void {
  self.postMessage(message, transfer);
}

function send(opus: Uint8Array, timestamp: number): void {
  // libopus-wasm hands back a fresh array; transfer its buffer when it is exactly the packet.
  const buffer = opus.byteOffset === 0 && opus.byteLength === opus.buffer.byteLength ? (opus.buffer as ArrayBuffer) : opus.slice().buffer;
  post({ type: 'frame', opus: buffer, timestamp }, [buffer]);
}

async function run(): Promise<void> {
  let lastReport = 0;
  let lastEvict = 0;
  while (!closed && core && bell && playback && lowWater) {
    const seen = Atomics.load(bell, 0);
    const now = performance.now();
    const mark = lowWater.observe(Atomics.load(playback.header, RingSlot.underruns), now);
    Atomics.store(playback.header, RingSlot.lowWater, mark);
    core.pumpCapture();
    core.pumpPlayback(now, mark);
    if (now - lastReport >= REPORT_EVERY_MS) {
      lastReport = now;
      post({
        type: 'report',
        report: {
          inputDb: core.inputDb,
          vadOpen: core.gate.vadOpen,
          transmitting: core.transmitting,
          speaking: core.speaking(now),
          outputDb: core.outputDb,
        },
      });
    }
    if (now - lastEvict >= EVICT_EVERY_MS) {
      lastEvict = now;
      core.evictIdle(now);
    }
    const wait = Atomics.waitAsync(bell, 0, seen, MAX_WAIT_MS);
    if (wait.async) await wait.value;
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'init': {
      const capture = new SpscRing(m.capture);
      playback = new SpscRing(m.playback);
      bell = new Int32Array(m.bell);
      lowWater = new LowWater({ deviceBufferSamples: m.deviceBufferSamples, nowMs: performance.now() });
      Atomics.store(playback.header, RingSlot.lowWater, lowWater.mark);
      core = new DspCore({ capture, playback, send, onError: (message) => post({ type: 'error', message }) });
      core.gate.configure(m.gate);
      core.setPlayout(m.playout);
      post({ type: 'ready' });
      void run();
      break;
    }
    case 'channel':
      void core?.setChannel(m.config);
      break;
    case 'gate':
      core?.gate.configure(m.gate);
      break;
    case 'ptt':
      if (core) core.gate.pttDown = m.down;
      break;
    case 'self-mute':
      if (core) core.gate.selfMute = m.muted;
      break;
    case 'deaf':
      if (core) core.deaf = m.deaf;
      break;
    case 'user-volume':
      core?.setUserVolume(m.token, m.volume);
      break;
    case 'user-mute':
      core?.setUserMuted(m.token, m.muted);
      break;
    case 'playout':
      core?.setPlayout(m.mode);
      break;
    case 'datagram':
      core?.receive(new Uint8Array(m.bytes), performance.now(), m.at);
      break;
    case 'probe-start':
      if (core) core.probe = new LatencyProbe(() => performance.timeOrigin + performance.now(), m.threshold);
      break;
    case 'probe-read':
      post({ type: 'probe-marks', captures: core?.probe?.captures ?? [], plays: core?.probe?.plays ?? [] });
      break;
    case 'close':
      closed = true;
      core?.close();
      core = null;
      self.close();
      break;
    default:
      assertNever(m, 'worker message');
  }
};
