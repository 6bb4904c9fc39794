import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const guards = fileURLToPath(new URL('./process-guards.ts', import.meta.url));

function run(install: boolean) {
  const script = `
    ${install ? `const { installProcessGuards, processCounters } = await import(${JSON.stringify(guards)}); installProcessGuards();` : ''}
    // What werift does: an async handler whose rejection nobody awaits.
    (async () => { throw new Error('bad SCTP payload id'); })();
    setTimeout(() => { process.stdout.write('alive'); }, 50);
    ${install ? 'setTimeout(() => process.stdout.write(" " + processCounters.unhandledRejections), 60);' : ''}
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, VOICE_LOG_LEVEL: 'silent' } });
}

test('without the guard an unawaited rejection kills the process', () => {
  const r = run(false);
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stdout, /alive/);
});

test('with the guard the process lives on and counts it', () => {
  const r = run(true);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /alive\s+1$/);
});
