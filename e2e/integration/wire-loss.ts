/**
 * Loss on the server's wire. For e2e/integration/voice-loss.test.ts werift's
 * UDP sockets live in the relay shards' threads, so this module is loaded into
 * each of them (RelayShardsOptions.preload) and patches node:dgram there; the
 * voice-lane tests (integration and browser), whose VoicePeer runs in the test's
 * own thread, install it there. While
 * `dropping` is set it drops a deterministic 20 % of the DTLS application
 * records big enough to carry a voice DATA chunk, and counts in the shared
 * Int32 slots below, which the test reads from its own thread. dropInbound
 * does the same to what arrives.
 */
import dgram from 'node:dgram';

export const DROPPING = 0;
export const DATA_RECORDS = 1;
export const DROPPED = 2;
export const WIRE_SLOTS = 3;

export interface WireLoss {
  shared: SharedArrayBuffer;
  /** Records shorter than this are not voice DATA (SCTP control, DTLS handshake). */
  minBytes: number;
}

export default function install(data: unknown): void {
  const { shared, minBytes } = data as WireLoss;
  const slots = new Int32Array(shared);
  const originalSend = dgram.Socket.prototype.send;
  type SendArgs = Parameters<typeof originalSend>;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: SendArgs) {
    const msg = args[0];
    if (Atomics.load(slots, DROPPING) === 1 && Buffer.isBuffer(msg) && msg[0] === 23 && msg.length >= minBytes) {
      if ((Atomics.add(slots, DATA_RECORDS, 1) + 1) % 5 === 3) {
        Atomics.add(slots, DROPPED, 1);
        const cb = args.find((a) => typeof a === 'function') as ((e: Error | null, n: number) => void) | undefined;
        cb?.(null, msg.length);
        return;
      }
    }
    return (originalSend as (...a: SendArgs) => void).apply(this, args);
  } as typeof originalSend;
}

/**
 * Loss on the way in, in this thread: every 5th DTLS application record of at
 * least `minBytes` arriving at a node:dgram socket (the server's; a libwebrtc
 * or Chromium peer's sockets are its own) is dropped before anyone sees it,
 * until stop().
 */
export function dropInbound(minBytes: number): { readonly dropped: number; stop(): void } {
  const original = dgram.Socket.prototype.emit;
  let seen = 0;
  let dropped = 0;
  dgram.Socket.prototype.emit = function (this: dgram.Socket, event: string | symbol, ...args: unknown[]) {
    const msg = args[0];
    if (event === 'message' && Buffer.isBuffer(msg) && msg[0] === 23 && msg.length >= minBytes && ++seen % 5 === 3) {
      dropped++;
      return true;
    }
    return Reflect.apply(original, this, [event, ...args]) as boolean;
  } as typeof original;
  return {
    get dropped() {
      return dropped;
    },
    stop() {
      dgram.Socket.prototype.emit = original;
    },
  };
}

/** A test message of `size` bytes (at least 4) whose first four bytes carry `id` and the rest a pattern of it. */
export function numberedMessage(id: number, size = 160): Uint8Array {
  const b = new Uint8Array(size);
  for (let k = 0; k < size; k++) b[k] = (id * 31 + k) & 0xff;
  new DataView(b.buffer).setUint32(0, id);
  return b;
}

/** The id numberedMessage put in `b`. */
export function messageId(b: ArrayLike<number> & { buffer?: ArrayBufferLike }): number {
  const bytes = b instanceof Uint8Array ? b : Uint8Array.from(b);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}
