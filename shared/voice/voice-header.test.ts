/**
 * The voice datagram codec: golden bytes for every kind, every refusal reason
 * at its boundary, encoder argument checks, and fast-check properties
 * (round-trip, total decoding, readVoiceHeader == decodeVoiceHeader).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createVoiceHeader,
  decodeVoiceHeader,
  encodeVoiceDatagram,
  encodeVoiceHeaderInto,
  readVoiceHeader,
  voiceHeaderByteLength,
  type VoiceDecodeFailure,
  type VoiceHeader,
  type VoiceHeaderFields,
} from './voice-header.ts';
import {
  MAX_DATAGRAM_BYTES,
  MAX_OPUS_PACKET_BYTES,
  MAX_SEQUENCE,
  MAX_SEQUENCE_HIGH_WORD,
  VOICE_HEADER_BYTES,
  WHISPER_TARGET_BYTES,
} from './constants.ts';

const KNOWN_FAILURES: ReadonlySet<VoiceDecodeFailure> = new Set<VoiceDecodeFailure>([
  'too-short',
  'too-long',
  'zero-token',
  'sequence-out-of-range',
  'empty-payload',
]);

/** Decodes and asserts success, returning the header. */
function decodeOk(bytes: Uint8Array): VoiceHeader {
  const r = decodeVoiceHeader(bytes);
  if (!r.ok) assert.fail(`expected a header, got reason ${r.reason}`);
  return r.value;
}

/** Decodes and returns the failure reason (asserting there is one). */
function decodeReason(bytes: Uint8Array): VoiceDecodeFailure {
  const r = decodeVoiceHeader(bytes);
  if (r.ok) assert.fail(`expected a failure, got kind ${r.value.kind}`);
  return r.reason;
}

/** A datagram built by hand: big-endian words then raw bytes. */
function bytesOf(words: number[], tail: number[] = []): Uint8Array {
  const out = new Uint8Array(words.length * 4 + tail.length);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0));
  out.set(tail, words.length * 4);
  return out;
}

const FIELDS = { token: 0x01020304, sequence: 5 * 2 ** 32 + 6, timestamp: 0xaabbccdd } as const;
const PAYLOAD = new Uint8Array([0xf8, 0xff, 0xfe]);

const GOLDEN_VOICE = [
  0x01, 0x02, 0x03, 0x04, // 0..3   token 0x01020304
  0x00, 0x00, 0x00, 0x05, // 4..7   sequence high word 5 (bit 63 = 0: not a whisper)
  0x00, 0x00, 0x00, 0x06, // 8..11  sequence low word 6
  0xaa, 0xbb, 0xcc, 0xdd, // 12..15 timestamp 0xAABBCCDD
  0xf8, 0xff, 0xfe, //       16..18 Opus payload
];

const GOLDEN_WHISPER = [
  0x01, 0x02, 0x03, 0x04, // 0..3   token 0x01020304
  0x80, 0x00, 0x00, 0x05, // 4..7   bit 63 = 1 (whisper flag) | sequence high word 5
  0x00, 0x00, 0x00, 0x06, // 8..11  sequence low word 6
  0xaa, 0xbb, 0xcc, 0xdd, // 12..15 timestamp 0xAABBCCDD
  0x0a, 0x0b, 0x0c, 0x0d, // 16..19 whisper target token 0x0A0B0C0D
  0xf8, 0xff, 0xfe, //       20..22 Opus payload
];

const GOLDEN_PING = [
  0x01, 0x02, 0x03, 0x04, // 0..3   token 0x01020304
  0x00, 0x00, 0x00, 0x05, // 4..7   sequence high word 5 (no whisper flag)
  0x00, 0x00, 0x00, 0x06, // 8..11  sequence low word 6
  0xaa, 0xbb, 0xcc, 0xdd, // 12..15 timestamp 0xAABBCCDD
  //                         no payload: exactly 16 bytes is a ping
];

describe('voice header: golden bytes', () => {
  test('normal voice datagram encodes to the documented layout', () => {
    assert.deepEqual([...encodeVoiceDatagram(FIELDS, PAYLOAD)], GOLDEN_VOICE);
  });

  test('normal voice datagram decodes every field', () => {
    assert.deepEqual(decodeOk(new Uint8Array(GOLDEN_VOICE)), {
      kind: 'voice',
      token: 0x01020304,
      sequence: 5 * 2 ** 32 + 6,
      timestamp: 0xaabbccdd,
      target: 0,
      payloadOffset: 16,
      payloadLength: 3,
    });
  });

  test('whisper encodes with bit 63 set and the target after the 16-byte header', () => {
    assert.deepEqual([...encodeVoiceDatagram({ ...FIELDS, target: 0x0a0b0c0d }, PAYLOAD)], GOLDEN_WHISPER);
  });

  test('whisper decodes every field', () => {
    assert.deepEqual(decodeOk(new Uint8Array(GOLDEN_WHISPER)), {
      kind: 'whisper',
      token: 0x01020304,
      sequence: 5 * 2 ** 32 + 6,
      timestamp: 0xaabbccdd,
      target: 0x0a0b0c0d,
      payloadOffset: 20,
      payloadLength: 3,
    });
  });

  test('header-only ping encodes to exactly 16 bytes', () => {
    assert.deepEqual([...encodeVoiceDatagram(FIELDS, new Uint8Array(0))], GOLDEN_PING);
    // target 0 explicitly is the same as no target
    assert.deepEqual([...encodeVoiceDatagram({ ...FIELDS, target: 0 }, new Uint8Array(0))], GOLDEN_PING);
  });

  test('header-only ping decodes every field', () => {
    assert.deepEqual(decodeOk(new Uint8Array(GOLDEN_PING)), {
      kind: 'ping',
      token: 0x01020304,
      sequence: 5 * 2 ** 32 + 6,
      timestamp: 0xaabbccdd,
      target: 0,
      payloadOffset: 16,
      payloadLength: 0,
    });
  });

  test('encodeVoiceHeaderInto writes at an offset and returns the payload offset', () => {
    const view = new Uint8Array(4 + 20 + 2).fill(0x55);
    assert.equal(encodeVoiceHeaderInto(view, 4, { ...FIELDS, target: 0x0a0b0c0d }), 24);
    assert.deepEqual([...view.subarray(0, 4)], [0x55, 0x55, 0x55, 0x55], 'bytes before the offset untouched');
    assert.deepEqual([...view.subarray(4, 24)], GOLDEN_WHISPER.slice(0, 20));
    assert.deepEqual([...view.subarray(24)], [0x55, 0x55], 'bytes after the header untouched');

    const plain = new Uint8Array(16);
    assert.equal(encodeVoiceHeaderInto(plain, 0, FIELDS), 16);
    assert.deepEqual([...plain], GOLDEN_PING);
  });

  test('voiceHeaderByteLength', () => {
    assert.equal(voiceHeaderByteLength(false), 16);
    assert.equal(voiceHeaderByteLength(true), 20);
  });

  test('constants match the documented layout', () => {
    assert.equal(VOICE_HEADER_BYTES, 16);
    assert.equal(WHISPER_TARGET_BYTES, 4);
    assert.equal(MAX_OPUS_PACKET_BYTES, 1275);
    assert.equal(MAX_DATAGRAM_BYTES, 1295);
    assert.equal(MAX_SEQUENCE, 2 ** 53 - 1);
    assert.equal(MAX_SEQUENCE_HIGH_WORD, 2 ** 21 - 1);
  });
});

describe('voice header: worked examples of docs/protocol.md §2.6', () => {
  const hex = (s: string): number[] => s.split(/[\s|]+/).filter(Boolean).map((h) => parseInt(h, 16));
  const payload = new Uint8Array([0xf8, 0xff, 0xfe]);
  const examples: [string, VoiceHeaderFields, Uint8Array, string][] = [
    ['voice', { token: 42, sequence: 5, timestamp: 4800 }, payload, '00 00 00 2a | 00 00 00 00 00 00 00 05 | 00 00 12 c0 | f8 ff fe'],
    [
      'whisper',
      { token: 42, sequence: 6, timestamp: 5760, target: 7 },
      payload,
      '00 00 00 2a | 80 00 00 00 00 00 00 06 | 00 00 16 80 | 00 00 00 07 | f8 ff fe',
    ],
    ['ping', { token: 42, sequence: 3, timestamp: 123_456_789 }, new Uint8Array(0), '00 00 00 2a | 00 00 00 00 00 00 00 03 | 07 5b cd 15'],
    ['token 1', { token: 1, sequence: 2, timestamp: 960 }, new Uint8Array([0xf8]), '00 00 00 01 00 00 00 00 00 00 00 02 00 00 03 c0 f8'],
    ['sequence 2^32 + 5', { token: 42, sequence: 2 ** 32 + 5, timestamp: 0 }, payload, '00 00 00 2a 00 00 00 01 00 00 00 05 00 00 00 00 f8 ff fe'],
    [
      'largest sequence',
      { token: 42, sequence: 2 ** 53 - 1, timestamp: 0xffff_ffff },
      payload,
      '00 00 00 2a 00 1f ff ff ff ff ff ff ff ff ff ff f8 ff fe',
    ],
    [
      'largest sequence, whisper',
      { token: 0xffff_ffff, sequence: 2 ** 53 - 1, timestamp: 0xffff_ffff, target: 0xffff_fffe },
      payload,
      'ff ff ff ff 80 1f ff ff ff ff ff ff ff ff ff ff ff ff ff fe f8 ff fe',
    ],
  ];
  for (const [name, fields, p, bytes] of examples) {
    test(name, () => {
      assert.deepEqual([...encodeVoiceDatagram(fields, p)], hex(bytes));
      const h = decodeOk(new Uint8Array(hex(bytes)));
      assert.equal(h.token, fields.token);
      assert.equal(h.sequence, fields.sequence);
      assert.equal(h.timestamp, fields.timestamp);
      assert.equal(h.target, fields.target ?? 0);
    });
  }
  test('reserved bit 53 set', () => {
    assert.equal(decodeReason(new Uint8Array(hex('00 00 00 2a 00 20 00 00 00 00 00 00 00 00 00 00 f8'))), 'sequence-out-of-range');
  });
});

describe('voice header: decoder edge cases', () => {
  test('0 bytes is a keep-alive with every field zeroed', () => {
    assert.deepEqual(decodeOk(new Uint8Array(0)), createVoiceHeader());
    assert.equal(decodeOk(new Uint8Array(0)).kind, 'keepalive');
  });

  test('a keep-alive read into a used header object resets every field', () => {
    const out = createVoiceHeader();
    assert.equal(readVoiceHeader(new Uint8Array(GOLDEN_WHISPER), out), null);
    assert.equal(out.kind, 'whisper');
    assert.equal(readVoiceHeader(new Uint8Array(0), out), null);
    assert.deepEqual(out, createVoiceHeader());
  });

  test('1..15 bytes is too-short', () => {
    for (let n = 1; n < 16; n++) {
      const bytes = new Uint8Array(GOLDEN_VOICE.slice(0, n));
      assert.equal(decodeReason(bytes), 'too-short', `length ${n}`);
    }
  });

  test('whisper flag with 16..19 bytes is too-short', () => {
    for (let n = 16; n < 20; n++) {
      const bytes = new Uint8Array(GOLDEN_WHISPER.slice(0, n));
      assert.equal(decodeReason(bytes), 'too-short', `length ${n}`);
    }
  });

  test('whisper with exactly 20 bytes (target, no payload) is empty-payload', () => {
    assert.equal(decodeReason(new Uint8Array(GOLDEN_WHISPER.slice(0, 20))), 'empty-payload');
  });

  test('whisper with a 1-byte payload is accepted', () => {
    const h = decodeOk(new Uint8Array(GOLDEN_WHISPER.slice(0, 21)));
    assert.equal(h.kind, 'whisper');
    assert.equal(h.payloadOffset, 20);
    assert.equal(h.payloadLength, 1);
  });

  test('sender token 0 is zero-token (ping, voice and whisper)', () => {
    assert.equal(decodeReason(bytesOf([0, 0, 1, 2])), 'zero-token');
    assert.equal(decodeReason(bytesOf([0, 0, 1, 2], [0xf8])), 'zero-token');
    assert.equal(decodeReason(bytesOf([0, 0x8000_0000, 1, 2, 7], [0xf8])), 'zero-token');
  });

  test('whisper target 0 is zero-token (with or without payload)', () => {
    assert.equal(decodeReason(bytesOf([9, 0x8000_0000, 1, 2, 0], [0xf8])), 'zero-token');
    assert.equal(decodeReason(bytesOf([9, 0x8000_0000, 1, 2, 0])), 'zero-token');
  });

  test('reserved sequence bits 62..53 give sequence-out-of-range', () => {
    // largest valid high word, with and without the whisper flag
    assert.equal(decodeOk(bytesOf([9, MAX_SEQUENCE_HIGH_WORD, 0xffff_ffff, 0], [1])).sequence, 2 ** 53 - 1);
    assert.equal(decodeOk(bytesOf([9, 0x8000_0000 | MAX_SEQUENCE_HIGH_WORD, 0xffff_ffff, 0, 7], [1])).sequence, 2 ** 53 - 1);
    // each reserved bit on its own
    for (let bit = 21; bit <= 30; bit++) {
      const high = (1 << bit) >>> 0;
      assert.equal(decodeReason(bytesOf([9, high, 0, 0], [1])), 'sequence-out-of-range', `bit ${bit + 32}`);
      assert.equal(decodeReason(bytesOf([9, high, 0, 0])), 'sequence-out-of-range', `ping, bit ${bit + 32}`);
      assert.equal(
        decodeReason(bytesOf([9, (0x8000_0000 | high) >>> 0, 0, 0, 7], [1])),
        'sequence-out-of-range',
        `whisper, bit ${bit + 32}`,
      );
    }
    assert.equal(decodeReason(bytesOf([9, MAX_SEQUENCE_HIGH_WORD + 1, 0, 0], [1])), 'sequence-out-of-range');
    assert.equal(decodeReason(bytesOf([9, 0x7fff_ffff, 0, 0], [1])), 'sequence-out-of-range');
    assert.equal(decodeReason(bytesOf([9, 0xffff_ffff, 0, 0, 7], [1])), 'sequence-out-of-range');
  });

  test('MAX_DATAGRAM_BYTES is accepted, one more byte is too-long', () => {
    const max = new Uint8Array(MAX_DATAGRAM_BYTES);
    max.set(GOLDEN_WHISPER.slice(0, 20));
    const h = decodeOk(max);
    assert.equal(h.kind, 'whisper');
    assert.equal(h.payloadLength, MAX_OPUS_PACKET_BYTES);

    const over = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
    over.set(GOLDEN_WHISPER.slice(0, 20));
    assert.equal(decodeReason(over), 'too-long');

    const plainMax = new Uint8Array(MAX_DATAGRAM_BYTES);
    plainMax.set(GOLDEN_PING);
    assert.equal(decodeOk(plainMax).kind, 'voice');
    const plainOver = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
    plainOver.set(GOLDEN_PING);
    assert.equal(decodeReason(plainOver), 'too-long');
  });

  test('encoder accepts a maximal whisper and refuses one byte more', () => {
    const maxWhisper = encodeVoiceDatagram({ ...FIELDS, target: 7 }, new Uint8Array(MAX_OPUS_PACKET_BYTES));
    assert.equal(maxWhisper.length, MAX_DATAGRAM_BYTES);
    assert.throws(() => encodeVoiceDatagram({ ...FIELDS, target: 7 }, new Uint8Array(MAX_OPUS_PACKET_BYTES + 1)), RangeError);
    assert.throws(() => encodeVoiceDatagram(FIELDS, new Uint8Array(MAX_DATAGRAM_BYTES - 16 + 1)), RangeError);
  });

  test('sequence 2^53-1 and 0 round-trip exactly', () => {
    for (const sequence of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 2, 2 ** 53 - 1]) {
      const bytes = encodeVoiceDatagram({ token: 1, sequence, timestamp: 0 }, PAYLOAD);
      assert.equal(decodeOk(bytes).sequence, sequence);
      const w = encodeVoiceDatagram({ token: 1, sequence, timestamp: 0, target: 2 }, PAYLOAD);
      assert.equal(decodeOk(w).sequence, sequence);
    }
    const top = encodeVoiceDatagram({ token: 1, sequence: 2 ** 53 - 1, timestamp: 0 }, PAYLOAD);
    assert.deepEqual([...top.subarray(4, 12)], [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  test('u32 extremes of token, timestamp and target', () => {
    const bytes = encodeVoiceDatagram({ token: 0xffff_ffff, sequence: 0, timestamp: 0xffff_ffff, target: 0xffff_ffff }, PAYLOAD);
    const h = decodeOk(bytes);
    assert.equal(h.token, 0xffff_ffff);
    assert.equal(h.timestamp, 0xffff_ffff);
    assert.equal(h.target, 0xffff_ffff);
    const z = decodeOk(encodeVoiceDatagram({ token: 1, sequence: 0, timestamp: 0 }, PAYLOAD));
    assert.equal(z.timestamp, 0);
  });

  test('decoding reads a subarray view at its own offset', () => {
    const backing = new Uint8Array(5 + GOLDEN_VOICE.length);
    backing.set(GOLDEN_VOICE, 5);
    const h = decodeOk(backing.subarray(5));
    assert.equal(h.token, 0x01020304);
    assert.equal(h.payloadOffset, 16);
    assert.equal(h.payloadLength, 3);
  });
});

describe('voice header: encoder argument checks', () => {
  const base: VoiceHeaderFields = { token: 1, sequence: 0, timestamp: 0 };
  const bad: [string, VoiceHeaderFields][] = [
    ['token 0', { ...base, token: 0 }],
    ['negative token', { ...base, token: -1 }],
    ['fractional token', { ...base, token: 1.5 }],
    ['token > u32', { ...base, token: 2 ** 32 }],
    ['NaN token', { ...base, token: Number.NaN }],
    ['negative sequence', { ...base, sequence: -1 }],
    ['fractional sequence', { ...base, sequence: 0.5 }],
    ['sequence > MAX_SEQUENCE', { ...base, sequence: 2 ** 53 }],
    ['infinite sequence', { ...base, sequence: Number.POSITIVE_INFINITY }],
    ['timestamp > u32', { ...base, timestamp: 2 ** 32 }],
    ['negative timestamp', { ...base, timestamp: -1 }],
    ['fractional timestamp', { ...base, timestamp: 1.25 }],
    ['negative target', { ...base, target: -1 }],
    ['target > u32', { ...base, target: 2 ** 32 }],
    ['fractional target', { ...base, target: 3.5 }],
  ];
  for (const [name, f] of bad) {
    test(`TypeError on ${name}`, () => {
      assert.throws(() => encodeVoiceDatagram(f, PAYLOAD), TypeError);
      assert.throws(() => encodeVoiceHeaderInto(new Uint8Array(64), 0, f), TypeError);
    });
  }

  test('TypeError on a whisper without payload', () => {
    assert.throws(() => encodeVoiceDatagram({ ...base, target: 5 }, new Uint8Array(0)), TypeError);
  });

  test('RangeError when the view is too small or the offset is out of range', () => {
    assert.throws(() => encodeVoiceHeaderInto(new Uint8Array(15), 0, base), RangeError);
    assert.throws(() => encodeVoiceHeaderInto(new Uint8Array(16), 1, base), RangeError);
    assert.throws(() => encodeVoiceHeaderInto(new Uint8Array(19), 0, { ...base, target: 5 }), RangeError);
    assert.throws(() => encodeVoiceHeaderInto(new Uint8Array(24), 5, { ...base, target: 5 }), RangeError);
    assert.throws(() => encodeVoiceHeaderInto(new Uint8Array(32), -1, base), RangeError);
    // exactly fitting is fine
    assert.equal(encodeVoiceHeaderInto(new Uint8Array(16), 0, base), 16);
    assert.equal(encodeVoiceHeaderInto(new Uint8Array(24), 4, { ...base, target: 5 }), 24);
  });

  test('a refused encode leaves the view untouched', () => {
    const view = new Uint8Array(19).fill(0xee);
    assert.throws(() => encodeVoiceHeaderInto(view, 0, { ...base, target: 5 }), RangeError);
    assert.throws(() => encodeVoiceHeaderInto(view, 0, { ...base, token: 0 }), TypeError);
    assert.ok(view.every((b) => b === 0xee));
  });
});

// ---- properties ---------------------------------------------------------------

const fieldsArb = fc.record({
  token: fc.integer({ min: 1, max: 0xffff_ffff }),
  sequence: fc.maxSafeNat(),
  timestamp: fc.integer({ min: 0, max: 0xffff_ffff }),
  target: fc.option(fc.integer({ min: 1, max: 0xffff_ffff }), { nil: undefined }),
});
// size 'max': without it fast-check keeps arrays to ~10 elements, never near the 1275-byte limit.
const payloadArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: MAX_OPUS_PACKET_BYTES, size: 'max' }),
  fc.uint8Array({ minLength: 1, maxLength: MAX_OPUS_PACKET_BYTES }),
);

/** Valid datagrams of every kind, so that the success path is exercised, not just refusals. */
const validDatagramArb = fc.oneof(
  fc.tuple(fieldsArb, payloadArb).map(([f, p]) => encodeVoiceDatagram(f, p)),
  fieldsArb.map((f) => encodeVoiceDatagram({ ...f, target: undefined }, new Uint8Array(0))),
  fc.constant(new Uint8Array(0)),
);
/** Valid datagrams with a few bytes flipped or cut: lands near every boundary. */
const mutatedDatagramArb = fc
  .tuple(validDatagramArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat({ max: 30 }))
  .map(([d, flips, cut]) => {
    const out = d.slice(0, Math.max(0, d.length - cut));
    for (const [at, v] of flips) if (out.length > 0) out[at % Math.min(out.length, 24)] = v;
    return out;
  });
const anyBytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 1400 }), // short strings: 0..~10 bytes
  fc.uint8Array({ maxLength: 1400, size: 'max' }), // any length up to 1400 (past MAX_DATAGRAM_BYTES)
  validDatagramArb,
  mutatedDatagramArb,
);

describe('voice header: properties', () => {
  test('round-trip: encode then decode gives back every field and the payload', () => {
    fc.assert(
      fc.property(fieldsArb, payloadArb, (f, payload) => {
        const bytes = encodeVoiceDatagram(f, payload);
        const whisper = f.target !== undefined;
        assert.equal(bytes.length, (whisper ? 20 : 16) + payload.length);
        const h = decodeOk(bytes);
        assert.equal(h.kind, whisper ? 'whisper' : 'voice');
        assert.equal(h.token, f.token);
        assert.equal(h.sequence, f.sequence);
        assert.equal(h.timestamp, f.timestamp);
        assert.equal(h.target, f.target ?? 0);
        assert.equal(h.payloadOffset, whisper ? 20 : 16);
        assert.equal(h.payloadLength, payload.length);
        assert.deepEqual(bytes.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength), payload);
      }),
      { numRuns: 500 },
    );
  });

  test('any byte string decodes to a header or a known reason, never throws', () => {
    fc.assert(
      fc.property(anyBytesArb, (bytes) => {
        const r = decodeVoiceHeader(bytes);
        if (r.ok) {
          const h = r.value;
          assert.ok(['keepalive', 'ping', 'voice', 'whisper'].includes(h.kind));
          assert.equal(h.payloadOffset + h.payloadLength, bytes.length);
          assert.ok(Number.isSafeInteger(h.sequence) && h.sequence >= 0);
          if (h.kind !== 'keepalive') assert.ok(h.token > 0);
          if (h.kind === 'whisper') assert.ok(h.target > 0 && h.payloadLength > 0);
          else assert.equal(h.target, 0);
        } else {
          assert.ok(KNOWN_FAILURES.has(r.reason), `unknown reason ${String(r.reason)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('readVoiceHeader into a reused object agrees with decodeVoiceHeader', () => {
    fc.assert(
      fc.property(fc.array(anyBytesArb, { minLength: 1, maxLength: 20 }), (inputs) => {
        const out = createVoiceHeader();
        for (const bytes of inputs) {
          const reason = readVoiceHeader(bytes, out);
          const r = decodeVoiceHeader(bytes);
          if (r.ok) {
            assert.equal(reason, null);
            assert.deepEqual({ ...out }, r.value);
          } else {
            assert.equal(reason, r.reason);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
