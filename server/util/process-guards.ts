/**
 * werift runs DTLS/SCTP handlers as async functions whose rejections nobody
 * awaits (e.g. an SCTP packet with an unknown payload id throws inside
 * handleData). Node's default turns such a rejection into a crash, which would
 * let one malformed peer stop the server for everyone. They are logged and
 * counted instead; e2e/integration/garbage.test.ts drives this path.
 */
import { createLogger } from './log.ts';

const log = createLogger('process');

export const processCounters = { unhandledRejections: 0 };

let installed = false;

export function installProcessGuards(): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    processCounters.unhandledRejections++;
    // Rate-limit the log so a flood of bad packets cannot flood the disk.
    if (processCounters.unhandledRejections <= 20 || processCounters.unhandledRejections % 1000 === 0) {
      log.warn('unhandled promise rejection (contained)', { count: processCounters.unhandledRejections, reason });
    }
  });
}
