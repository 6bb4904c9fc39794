/**
 * The AudioWorkletGlobalScope as the worklets here use it. TypeScript's DOM
 * library does not describe it, and declaring these as globals would let UI
 * code name `sampleRate` by accident, so each worklet imports them from here.
 */
export interface ProcessorBase {
  readonly port: MessagePort;
}

interface WorkletScope {
  AudioWorkletProcessor: new () => ProcessorBase;
  registerProcessor(name: string, ctor: new (options: { processorOptions?: unknown }) => ProcessorBase): void;
  /** Frame count of the quantum being processed. */
  currentFrame: number;
  sampleRate: number;
}

/** Only valid inside an AudioWorkletGlobalScope. */
export const scope = globalThis as unknown as WorkletScope;

/** Rings the worker's doorbell: bumps slot 0 and wakes a waiter. Allocation-free. */
export function ring(bell: Int32Array): void {
  Atomics.add(bell, 0, 1);
  Atomics.notify(bell, 0);
}
