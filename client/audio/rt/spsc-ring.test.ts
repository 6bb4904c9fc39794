import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { RingSlot, SpscRing } from './spsc-ring.ts';

test('push and pop keep order across the wrap; a push that does not fit is refused whole and counted', () => {
  const r = SpscRing.create(8);
  const src = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const dst = new Float32Array(8);
  assert.equal(r.push(src, 6), 6);
  assert.equal(r.pop(dst, 4), 4);
  assert.deepEqual([...dst.subarray(0, 4)], [1, 2, 3, 4]);
  assert.equal(r.push(src, 6), 6); // wraps: 2 left + 6 = 8
  assert.equal(r.free(), 0);
  assert.equal(r.push(src, 1), 0, 'a full ring refuses');
  assert.equal(Atomics.load(r.header, RingSlot.overruns), 1);
  assert.equal(r.pop(dst, 8), 8);
  assert.deepEqual([...dst], [5, 6, 1, 2, 3, 4, 5, 6]);
  assert.equal(r.pop(dst, 4), 0, 'an empty ring gives nothing');
});

test('the counters survive the u32 wrap', () => {
  const r = SpscRing.create(16);
  Atomics.store(r.header, RingSlot.read, -5);
  Atomics.store(r.header, RingSlot.write, -5);
  const src = Float32Array.from({ length: 12 }, (_, i) => i + 1);
  const dst = new Float32Array(12);
  assert.equal(r.push(src), 12);
  assert.equal(r.available(), 12);
  assert.equal(r.writeCounter, 7, 'write counter wrapped past 2^32');
  assert.equal(r.pop(dst), 12);
  assert.deepEqual([...dst], [...src]);
});

test('any sequence of pushes and pops behaves like a bounded queue', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 60 }), (ops) => {
      const r = SpscRing.create(16);
      const model: number[] = [];
      let next = 1;
      const buf = new Float32Array(20);
      for (const [isPush, n] of ops) {
        if (isPush) {
          for (let i = 0; i < n; i++) buf[i] = next + i;
          const fits = model.length + n <= 16;
          assert.equal(r.push(buf, n), fits ? n : 0);
          if (fits) for (let i = 0; i < n; i++) model.push(next + i);
          next += n;
        } else {
          const m = Math.min(n, model.length);
          assert.equal(r.pop(buf, n), m);
          assert.deepEqual([...buf.subarray(0, m)], model.splice(0, m));
        }
        assert.equal(r.available(), model.length);
      }
    }),
  );
});

test('a producer thread and a consumer thread move 2 million samples through a 1024-sample ring intact', async () => {
  const r = SpscRing.create(1024);
  const total = 2_000_000;
  const producer = new Worker(
    `const { workerData } = require('node:worker_threads');
     const h = new Int32Array(workerData.buf, 0, 16); const d = new Float32Array(workerData.buf, 64, 1024);
     let next = 0; const total = workerData.total;
     while (next < total) {
       const w = Atomics.load(h, 1) >>> 0; const free = 1024 - ((w - Atomics.load(h, 0)) >>> 0);
       const n = Math.min(free, 128, total - next);
       for (let i = 0; i < n; i++) d[(w + i) & 1023] = (next + i) % 65536;
       Atomics.store(h, 1, (w + n) | 0); next += n;
     }`,
    { eval: true, workerData: { buf: r.buffer, total } },
  );
  const dst = new Float32Array(256);
  let seen = 0;
  let bad = -1;
  const deadline = Date.now() + 60_000;
  while (seen < total && Date.now() < deadline) {
    const n = r.pop(dst);
    for (let i = 0; i < n && bad < 0; i++) if (dst[i] !== (seen + i) % 65536) bad = seen + i;
    seen += n;
    if (n === 0) await new Promise((res) => setImmediate(res));
  }
  await producer.terminate();
  assert.equal(bad, -1, `sample ${bad} arrived corrupted or out of order`);
  assert.equal(seen, total);
});
