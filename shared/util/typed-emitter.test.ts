/**
 * TypedEmitter: on/off/once, the unsubscribe functions, listener order, and
 * error isolation through the process-wide listener error reporter.
 */
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { TypedEmitter, setListenerErrorReporter, type ListenerErrorReporter } from './typed-emitter.ts';

type Events = {
  ping: [n: number];
  pair: [a: string, b: number];
  none: [];
};

/** safeEmit is protected: expose it the way real subclasses do. */
class TestEmitter extends TypedEmitter<Events> {
  emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    return this.safeEmit(event, ...args);
  }
}

/** The reporter the module installs by default, reproduced to restore it after a test replaces it. */
const defaultLikeReporter: ListenerErrorReporter = (error, event) => {
  console.error(`[emitter] listener for "${event}" threw:`, error);
};

describe('TypedEmitter', () => {
  afterEach(() => {
    setListenerErrorReporter(defaultLikeReporter);
  });

  test('on: listeners get the arguments, in subscription order', () => {
    const e = new TestEmitter();
    const calls: string[] = [];
    e.on('pair', (a, b) => calls.push(`1:${a}:${b}`));
    e.on('pair', (a, b) => calls.push(`2:${a}:${b}`));
    assert.equal(e.emit('pair', 'x', 7), true);
    assert.deepEqual(calls, ['1:x:7', '2:x:7']);
  });

  test('emit returns false without listeners, and events are independent', () => {
    const e = new TestEmitter();
    assert.equal(e.emit('none'), false);
    let n = 0;
    e.on('ping', () => n++);
    assert.equal(e.emit('none'), false);
    assert.equal(e.emit('ping', 1), true);
    assert.equal(n, 1);
  });

  test('off removes that listener only', () => {
    const e = new TestEmitter();
    const got: number[] = [];
    const a = (n: number) => got.push(n);
    const b = (n: number) => got.push(n * 10);
    e.on('ping', a);
    e.on('ping', b);
    e.off('ping', a);
    assert.equal(e.listenerCount('ping'), 1);
    e.emit('ping', 2);
    assert.deepEqual(got, [20]);
    e.off('ping', a); // removing again is a no-op
    e.off('none', () => {}); // unknown listener / event: no-op
    assert.equal(e.listenerCount('ping'), 1);
  });

  test('the function returned by on unsubscribes, and is idempotent', () => {
    const e = new TestEmitter();
    let n = 0;
    const off = e.on('ping', () => n++);
    e.on('ping', () => {}); // another listener stays
    e.emit('ping', 1);
    off();
    off();
    e.emit('ping', 1);
    assert.equal(n, 1);
    assert.equal(e.listenerCount('ping'), 1);
  });

  test('the same function subscribed twice is called twice; off removes one subscription', () => {
    const e = new TestEmitter();
    let n = 0;
    const f = () => n++;
    e.on('ping', f);
    e.on('ping', f);
    e.emit('ping', 1);
    assert.equal(n, 2);
    e.off('ping', f);
    e.emit('ping', 1);
    assert.equal(n, 3);
  });

  test('once fires a single time with the arguments', () => {
    const e = new TestEmitter();
    const got: [string, number][] = [];
    e.once('pair', (a, b) => got.push([a, b]));
    assert.equal(e.listenerCount('pair'), 1);
    e.emit('pair', 'a', 1);
    e.emit('pair', 'b', 2);
    assert.deepEqual(got, [['a', 1]]);
    assert.equal(e.listenerCount('pair'), 0);
  });

  test('once among other listeners: the others keep firing', () => {
    const e = new TestEmitter();
    const calls: string[] = [];
    e.on('ping', (n) => calls.push(`on${n}`));
    e.once('ping', (n) => calls.push(`once${n}`));
    e.on('ping', (n) => calls.push(`last${n}`));
    e.emit('ping', 1);
    e.emit('ping', 2);
    assert.deepEqual(calls, ['on1', 'once1', 'last1', 'on2', 'last2']);
  });

  test('the function returned by once cancels it before it fires', () => {
    const e = new TestEmitter();
    let n = 0;
    const off = e.once('ping', () => n++);
    off();
    assert.equal(e.listenerCount('ping'), 0);
    e.emit('ping', 1);
    assert.equal(n, 0);
  });

  test('a once listener that emits the same event again is not re-entered', () => {
    const e = new TestEmitter();
    const got: number[] = [];
    e.once('ping', (n) => {
      got.push(n);
      if (n === 1) e.emit('ping', 2);
    });
    e.emit('ping', 1);
    assert.deepEqual(got, [1]);
  });

  test('a listener removing a later one during emit does not skip or break the loop', () => {
    const e = new TestEmitter();
    const calls: string[] = [];
    const c = () => calls.push('c');
    e.on('none', () => {
      calls.push('a');
      e.off('none', c);
    });
    e.on('none', () => calls.push('b'));
    e.on('none', c);
    e.emit('none');
    e.emit('none');
    // the first emit works on a snapshot: c still runs once; afterwards it is gone
    assert.deepEqual(calls, ['a', 'b', 'c', 'a', 'b']);
  });

  test('a listener added during an emit is not called by that emit (several listeners)', () => {
    const e = new TestEmitter();
    const calls: string[] = [];
    let added = false;
    e.on('ping', (n) => {
      calls.push(`a${n}`);
      if (!added) {
        added = true;
        e.on('ping', (m) => calls.push(`late${m}`));
      }
    });
    e.on('ping', (n) => calls.push(`b${n}`));
    e.emit('ping', 1);
    e.emit('ping', 2);
    assert.deepEqual(calls, ['a1', 'b1', 'a2', 'b2', 'late2']);
  });

  test('a listener added during an emit is not called by that emit (single listener)', () => {
    // Same as above with one listener: safeEmit skips the snapshot when there is one listener,
    // so a listener subscribed from inside it must still wait for the next emit.
    const e = new TestEmitter();
    const calls: string[] = [];
    let added = false;
    e.on('ping', (n) => {
      calls.push(`a${n}`);
      if (!added) {
        added = true;
        e.once('ping', (m) => calls.push(`next${m}`));
      }
    });
    e.emit('ping', 1);
    e.emit('ping', 2);
    assert.deepEqual(calls, ['a1', 'a2', 'next2']);
  });

  test('removeAllListeners clears every event', () => {
    const e = new TestEmitter();
    e.on('ping', () => {});
    e.on('none', () => {});
    e.removeAllListeners();
    assert.equal(e.listenerCount('ping'), 0);
    assert.equal(e.listenerCount('none'), 0);
    assert.equal(e.emit('ping', 1), false);
  });

  test('the default reporter logs a throwing listener to console.error', (t) => {
    const e = new TestEmitter();
    const error = new Error('boom');
    const logged = t.mock.method(console, 'error', () => {});
    e.on('ping', () => {
      throw error;
    });
    assert.equal(e.emit('ping', 1), true);
    assert.equal(logged.mock.callCount(), 1);
    const args = logged.mock.calls[0]!.arguments;
    assert.equal(args[0], '[emitter] listener for "ping" threw:');
    assert.equal(args[1], error);
  });

  test('a throwing listener does not stop later listeners; its error reaches the reporter', () => {
    const reported: [unknown, string][] = [];
    setListenerErrorReporter((error, event) => reported.push([error, event]));
    const e = new TestEmitter();
    const calls: string[] = [];
    const boom = new Error('first');
    e.on('pair', () => {
      calls.push('a');
      throw boom;
    });
    e.on('pair', (a, b) => calls.push(`b:${a}:${b}`));
    e.on('pair', () => {
      calls.push('c');
      throw 'not an Error'; // non-Error values are reported as they are
    });
    e.on('pair', () => calls.push('d'));
    assert.doesNotThrow(() => e.emit('pair', 'x', 1));
    assert.deepEqual(calls, ['a', 'b:x:1', 'c', 'd']);
    assert.deepEqual(reported, [
      [boom, 'pair'],
      ['not an Error', 'pair'],
    ]);
  });

  test('a single throwing listener is reported and the emitter caller is not disturbed', () => {
    const reported: [unknown, string][] = [];
    setListenerErrorReporter((error, event) => reported.push([error, event]));
    const e = new TestEmitter();
    const boom = new Error('only');
    e.once('none', () => {
      throw boom;
    });
    assert.equal(e.emit('none'), true);
    assert.deepEqual(reported, [[boom, 'none']]);
    assert.equal(e.listenerCount('none'), 0, 'a throwing once listener is still removed');
  });

  test('setListenerErrorReporter replaces the previous reporter', () => {
    const first: unknown[] = [];
    const second: unknown[] = [];
    setListenerErrorReporter((error) => first.push(error));
    setListenerErrorReporter((error) => second.push(error));
    const e = new TestEmitter();
    e.on('none', () => {
      throw new Error('x');
    });
    e.emit('none');
    assert.equal(first.length, 0);
    assert.equal(second.length, 1);
  });
});
