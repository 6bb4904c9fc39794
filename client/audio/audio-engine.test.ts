/**
 * AudioEngine's start-up against stand-ins for the Web Audio objects, the DSP
 * worker and the microphone (the real ones are exercised by the browser
 * tests), with each await under the test's control: close() during any of
 * start()'s waits leaves the engine closed — start() rejects with an
 * AbortError instead of hanging or moving a closed engine back to 'running',
 * and nothing is reported as a problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerHooks } from 'node:module';
import type { AudioEngine as AudioEngineType } from './audio-engine.ts';
import type { EngineProblem, EngineState } from './engine-api.ts';

// Vite's `?worker&url` imports become a plain URL string here.
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.endsWith('?worker&url')) return { url: `data:text/javascript,export default ${JSON.stringify(specifier)}`, shortCircuit: true };
    return next(specifier, context);
  },
});

/** A promise the test settles. */
function gate<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What the stand-ins saw, and the gates start() waits on. */
const world = {
  resume: gate(),
  modules: gate(),
  sink: gate(),
  worker: null as StandInWorker | null,
  contextClosed: false,
  micRequests: 0,
};

class StandInNode {
  connect<T>(next: T): T {
    return next;
  }
  disconnect(): void {}
}

class StandInAnalyser extends StandInNode {
  readonly fftSize: number;
  constructor(_ctx: unknown, options: { fftSize: number }) {
    super();
    this.fftSize = options.fftSize;
  }
  getFloatTimeDomainData(): void {}
}

class StandInContext {
  state = 'suspended';
  readonly baseLatency = 0.01;
  readonly sampleRate = 48_000;
  readonly destination = new StandInNode();
  readonly audioWorklet = { addModule: () => world.modules.promise };
  resume(): Promise<void> {
    return world.resume.promise.then(() => {
      this.state = 'running';
    });
  }
  setSinkId(): Promise<void> {
    return world.sink.promise;
  }
  createMediaStreamSource(): StandInNode {
    return new StandInNode();
  }
  async close(): Promise<void> {
    this.state = 'closed';
    world.contextClosed = true;
  }
}

class StandInWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  posted: string[] = [];
  terminated = false;
  constructor() {
    world.worker = this;
  }
  postMessage(m: { type: string }): void {
    this.posted.push(m.type);
  }
  terminate(): void {
    this.terminated = true;
  }
  ready(): void {
    this.onmessage?.({ data: { type: 'ready' } });
  }
}

const g = globalThis as Record<string, unknown>;
Object.assign(g, { AudioContext: StandInContext, AudioWorkletNode: StandInNode, AnalyserNode: StandInAnalyser, Worker: StandInWorker });
Object.defineProperty(globalThis.navigator, 'mediaDevices', {
  configurable: true,
  value: {
    getUserMedia: async () => {
      world.micRequests++;
      const track = { stop() {}, addEventListener() {} };
      return { getTracks: () => [track], getAudioTracks: () => [track] };
    },
  },
});

const { AudioEngine } = await import('./audio-engine.ts');

function engine(outputDeviceId = ''): { engine: AudioEngineType; states: EngineState[]; problems: EngineProblem[] } {
  Object.assign(world, { resume: gate(), modules: gate(), sink: gate(), worker: null, contextClosed: false, micRequests: 0 });
  const e = new AudioEngine({ outputDeviceId });
  const states: EngineState[] = [];
  const problems: EngineProblem[] = [];
  e.on('state', (s) => states.push(s));
  e.on('problem', (p) => problems.push(p));
  return { engine: e, states, problems };
}

/** Lets every pending continuation run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** start()'s outcome, or 'pending' if it has not settled within 1 s (it hung). */
async function outcome(started: Promise<void>): Promise<unknown> {
  const timeout = new Promise((resolve) => setTimeout(() => resolve('pending'), 1000));
  return Promise.race([started.then(() => 'resolved', (e: unknown) => e), timeout]);
}

function assertAborted(result: unknown): void {
  assert.ok(result instanceof DOMException, `start() rejects with an AbortError, got ${String(result)}`);
  assert.equal(result.name, 'AbortError');
}

test('start() runs when nothing closes it: worker ready, context resumed, microphone opened', async () => {
  const { engine: e, states, problems } = engine();
  const started = e.start();
  world.modules.resolve();
  await settle();
  world.worker!.ready();
  world.resume.resolve();
  assert.equal(await outcome(started), 'resolved');
  assert.deepEqual(states, ['starting', 'running']);
  assert.deepEqual(problems, []);
  assert.equal(world.micRequests, 1);
  await e.close();
  assert.deepEqual(world.worker!.posted, ['init', 'close']);
});

test('close() while the worklets load: start() rejects with AbortError and builds nothing on the closed context', async () => {
  const { engine: e, states, problems } = engine();
  const started = e.start();
  await e.close();
  world.modules.resolve();
  assertAborted(await outcome(started));
  assert.equal(world.worker, null, 'no worker was started');
  assert.deepEqual(states, ['starting', 'closed']);
  assert.deepEqual(problems, []);
});

test('close() while waiting for the worker\'s ready: start() rejects with AbortError instead of hanging', async () => {
  const { engine: e, states, problems } = engine();
  const started = e.start();
  world.modules.resolve();
  await settle();
  const worker = world.worker!;
  await e.close();
  assert.equal(worker.terminated, true, 'a worker that never got ready is terminated');
  assertAborted(await outcome(started));
  assert.deepEqual(states, ['starting', 'closed']);
  assert.deepEqual(problems, []);
  assert.equal(world.micRequests, 0, 'no microphone for a closed engine');
});

test('close() while the context resumes: the engine stays closed, start() rejects with AbortError', async () => {
  const { engine: e, states, problems } = engine();
  const started = e.start();
  world.modules.resolve();
  await settle();
  world.worker!.ready();
  await settle();
  await e.close();
  world.resume.resolve();
  assertAborted(await outcome(started));
  assert.equal(e.state, 'closed');
  assert.deepEqual(states, ['starting', 'closed'], 'never back to running');
  assert.deepEqual(problems, []);
  assert.equal(world.micRequests, 0);
  assert.equal(world.contextClosed, true);
});

test('close() while the output device is applied: the engine stays closed, start() rejects with AbortError', async () => {
  const { engine: e, states, problems } = engine('speakers-2');
  const started = e.start();
  world.modules.resolve();
  await settle();
  world.worker!.ready();
  world.resume.resolve();
  await settle();
  await e.close();
  world.sink.resolve();
  assertAborted(await outcome(started));
  assert.deepEqual(states, ['starting', 'closed'], 'never back to running');
  assert.deepEqual(problems, []);
  assert.equal(world.micRequests, 0);
});

test('a context that will not resume is still a start failure: a problem, then closed', async () => {
  const { engine: e, states, problems } = engine();
  const started = e.start();
  world.modules.resolve();
  await settle();
  world.worker!.ready();
  world.resume.reject(new Error('not allowed to start'));
  const result = await outcome(started);
  assert.ok(result instanceof Error && result.message === 'not allowed to start', String(result));
  assert.deepEqual(states, ['starting', 'closed']);
  assert.deepEqual(problems, [{ kind: 'audio-failed', message: 'audio could not start: not allowed to start' }]);
});
