/** CPU pinning for the load generator and the benchmarks: Debian's taskset, when the machine has it. */
import { existsSync } from 'node:fs';

export const TASKSET = '/usr/bin/taskset';
/** Whether CPUs can be pinned here; without taskset the bots and benchmarks run unpinned. */
export const HAVE_TASKSET = existsSync(TASKSET);
