/**
 * Entry point of a relay shard's worker thread (started by relay-shards.ts):
 * the same guards as the main thread, then a RelayShard fed from the parent
 * port. An exception that escapes ends this thread only; the main thread
 * starts a new one and the shard's sessions renegotiate onto it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { installProcessGuards } from '../util/process-guards.ts';
import { createLogger, setLogLevel } from '../util/log.ts';
import { setListenerErrorReporter } from '../../shared/util/typed-emitter.ts';
import { RelayShard } from './relay-shard.ts';
import { shardBlock, UNHANDLED_REJECTIONS } from './shard-counters.ts';
import type { FromShard, ShardInit, ToShard } from './shard-messages.ts';

if (!parentPort) throw new Error('shard-worker.ts runs as a worker thread (server/shards/relay-shards.ts starts it)');
const port = parentPort;
const init = workerData as ShardInit;

setLogLevel(init.logLevel);
const log = createLogger(`relay-shard-${init.index}`);
// werift's unawaited rejections are contained here as in the main thread (§6), and counted where /api/stats sums them.
installProcessGuards();
const block = shardBlock(init.counters, init.index);
process.on('unhandledRejection', () => {
  block[UNHANDLED_REJECTIONS]!++;
});
setListenerErrorReporter((error, event) => log.error('event listener threw', { event, error }));
if (init.preload) {
  // Tests only: e2e/integration/voice-loss.test.ts drops DTLS records on this thread's own UDP sockets.
  const hook = (await import(init.preload.url)) as { default: (data: unknown) => void };
  hook.default(init.preload.data);
}

const shard = new RelayShard(init, (message: FromShard) => port.postMessage(message));
port.on('message', (message: ToShard) => shard.handle(message));
port.postMessage({ kind: 'ready' } satisfies FromShard);
