/**
 * The capture worklet's doorbell, run in Node under a stand-in
 * AudioWorkletGlobalScope with a real ring and the real DspCore: the worker is
 * woken exactly once per frame, whatever the channel's frame size (480–2880
 * samples), and within one render quantum of the frame being complete — also
 * after the channel changes, with no message to the worklet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DspCore } from './dsp-core.ts';
import { RingSlot, SpscRing } from './spsc-ring.ts';
import type { CaptureProcessorOptions } from './capture.worklet.ts';

const QUANTUM = 128;

interface Processor {
  process(inputs: Float32Array[][]): boolean;
}
type ProcessorCtor = new (options: { processorOptions?: unknown }) => Processor;

/** Imports the worklet under a stand-in scope and returns the class it registered. */
async function loadCaptureProcessor(): Promise<ProcessorCtor> {
  const g = globalThis as Record<string, unknown>;
  const registered = new Map<string, ProcessorCtor>();
  g['AudioWorkletProcessor'] = class {
    readonly port = null;
  };
  g['registerProcessor'] = (name: string, ctor: ProcessorCtor) => registered.set(name, ctor);
  await import('./capture.worklet.ts');
  const ctor = registered.get('voice-capture');
  assert.ok(ctor, 'the worklet registers voice-capture');
  return ctor;
}

test('the capture worklet wakes the worker once per frame, within a quantum, for 480–2880-sample frames', async () => {
  const CaptureProcessor = await loadCaptureProcessor();
  const capture = SpscRing.create(8192);
  const playback = SpscRing.create(8192);
  const bellBuffer = new SharedArrayBuffer(16);
  const bell = new Int32Array(bellBuffer);
  const core = new DspCore({ capture, playback, send: () => {} });
  const node = new CaptureProcessor({ processorOptions: { ring: capture.buffer, bell: bellBuffer } satisfies CaptureProcessorOptions });
  const quantum = new Float32Array(QUANTUM);

  for (const frameSamples of [960, 480, 1920, 2880, 960]) {
    await core.setChannel({ bitrate: 32_000, frameSamples: frameSamples as 480 | 960 | 1920 | 2880 });
    assert.equal(Atomics.load(capture.header, RingSlot.notifyAt), frameSamples, 'the frame size is in the ring header');
    let wakes = 0;
    let frames = 0;
    let written = 0;
    for (let q = 0; q < 200; q++) {
      const before = Atomics.load(bell, 0);
      node.process([[quantum]]);
      written += QUANTUM;
      if (Atomics.load(bell, 0) === before) continue;
      // The worker wakes: a whole frame waits, and it has waited less than a quantum.
      wakes++;
      const waiting = capture.available();
      assert.ok(waiting >= frameSamples && waiting < frameSamples + QUANTUM, `${frameSamples}: woken with ${waiting} samples waiting`);
      frames += core.pumpCapture();
    }
    assert.equal(wakes, frames, `${frameSamples}: one wake-up per frame`);
    assert.equal(frames, Math.floor(written / frameSamples), `${frameSamples}: every whole frame taken`);
    assert.ok(capture.available() < frameSamples, `${frameSamples}: no whole frame left waiting`);
    // Start the next frame size from an empty ring.
    capture.pop(new Float32Array(capture.available()));
  }
  core.close();
});
