/**
 * loadConfig's checks that share their limits with the rest of the server:
 * the admin password takes the account password lengths, the token secret
 * TokenService's minimum (counted in UTF-8 bytes, never echoed); the relay
 * threads, one per core by default, each needing a slice of the UDP port range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { DEFAULT_PORTS_PER_THREAD, loadConfig, MAX_RELAY_THREADS } from './config.ts';
import { MAX_PASSWORD_LENGTH, MIN_ACCOUNT_PASSWORD_LENGTH } from '../shared/control/protocol.ts';
import { MAX_BUNDLE_WAIT_MS } from './relay/relay-limits.ts';
import { MIN_TOKEN_SECRET_BYTES } from './auth/token-service.ts';
import { ConfigError } from './util/errors.ts';

test('VOICE_ADMIN_PASSWORD: an account password’s length, 8–128 characters', () => {
  for (const length of [MIN_ACCOUNT_PASSWORD_LENGTH - 1, MAX_PASSWORD_LENGTH + 1]) {
    assert.throws(() => loadConfig({ VOICE_ADMIN_PASSWORD: 'p'.repeat(length) }), {
      name: 'ConfigError',
      message: 'VOICE_ADMIN_PASSWORD must be 8–128 characters',
    });
  }
  for (const length of [MIN_ACCOUNT_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH]) {
    assert.equal(loadConfig({ VOICE_ADMIN_PASSWORD: 'p'.repeat(length) }).adminPassword?.length, length);
  }
});

test('VOICE_TOKEN_SECRET: at least 32 bytes of UTF-8, refused at parse time without echoing it', () => {
  assert.equal(MIN_TOKEN_SECRET_BYTES, 32);
  for (const secret of ['x'.repeat(31), `${'é'.repeat(15)}x`]) {
    assert.throws(
      () => loadConfig({ VOICE_TOKEN_SECRET: secret }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, 'VOICE_TOKEN_SECRET is 31 bytes; it must be at least 32 bytes (UTF-8)');
        return true;
      },
    );
  }
  assert.equal(loadConfig({ VOICE_TOKEN_SECRET: 'é'.repeat(16) }).tokenSecret, 'é'.repeat(16));
});

test('VOICE_RELAY_THREADS: 1–64, default one per core the process may use; never more than the UDP ports, by default 32 of them each', () => {
  assert.equal(MAX_RELAY_THREADS, 64);
  assert.equal(loadConfig({}).relayThreads, Math.min(availableParallelism(), 64));
  assert.equal(loadConfig({ VOICE_RELAY_THREADS: '1' }).relayThreads, 1);
  assert.equal(loadConfig({ VOICE_RELAY_THREADS: '64' }).relayThreads, 64);
  for (const raw of ['0', '65']) {
    assert.throws(() => loadConfig({ VOICE_RELAY_THREADS: raw }), { name: 'ConfigError', message: `VOICE_RELAY_THREADS must be between 1 and 64, got ${raw}` });
  }
  for (const raw of ['two', '1.5', '-1']) {
    assert.throws(() => loadConfig({ VOICE_RELAY_THREADS: raw }), { name: 'ConfigError', message: `VOICE_RELAY_THREADS must be a whole number, got "${raw}"` });
  }
  // Empty reads as unset, as for every setting.
  assert.equal(loadConfig({ VOICE_RELAY_THREADS: '' }).relayThreads, Math.min(availableParallelism(), 64));
  const range = { VOICE_RTC_PORT_MIN: '40000', VOICE_RTC_PORT_MAX: '40002' };
  assert.equal(loadConfig({ ...range, VOICE_RELAY_THREADS: '3' }).relayThreads, 3);
  assert.throws(() => loadConfig({ ...range, VOICE_RELAY_THREADS: '4' }), {
    name: 'ConfigError',
    message: 'VOICE_RELAY_THREADS (4) is more than the 3 ports of VOICE_RTC_PORT_MIN–VOICE_RTC_PORT_MAX (each relay thread takes its own slice)',
  });
  // The default leaves each thread DEFAULT_PORTS_PER_THREAD ports of the range, and is 1 for any narrower range.
  assert.equal(DEFAULT_PORTS_PER_THREAD, 32);
  const threadsFor = (ports: number): number => loadConfig({ VOICE_RTC_PORT_MIN: '40000', VOICE_RTC_PORT_MAX: String(40000 + ports - 1) }).relayThreads;
  assert.equal(threadsFor(2), 1);
  assert.equal(threadsFor(63), 1);
  assert.equal(threadsFor(64), Math.min(availableParallelism(), 2));
  assert.equal(threadsFor(200), Math.min(availableParallelism(), 6), 'the Docker image’s 40000–40199');
  assert.equal(threadsFor(10_000), Math.min(availableParallelism(), 64));
});

test('an unknown VOICE_* name is refused (VOICE_RELAY_THREAD is not VOICE_RELAY_THREADS)', () => {
  assert.throws(() => loadConfig({ VOICE_RELAY_THREAD: '2' }), { name: 'ConfigError', message: 'unknown setting VOICE_RELAY_THREAD (see README.md, Configuration)' });
});

test('VOICE_RELAY_BUNDLE_MS: 0 (end of the turn) by default, up to the sender’s own limit', () => {
  assert.equal(loadConfig({}).relayBundleMs, 0);
  assert.equal(loadConfig({ VOICE_RELAY_BUNDLE_MS: '2' }).relayBundleMs, 2);
  assert.equal(loadConfig({ VOICE_RELAY_BUNDLE_MS: String(MAX_BUNDLE_WAIT_MS) }).relayBundleMs, MAX_BUNDLE_WAIT_MS);
  assert.throws(() => loadConfig({ VOICE_RELAY_BUNDLE_MS: String(MAX_BUNDLE_WAIT_MS + 1) }), { name: 'ConfigError' });
});

test('VOICE_RTC_SEND_PATH: fast by default, stock for benchmarks, nothing else', () => {
  assert.equal(loadConfig({}).rtcSendPath, 'fast');
  assert.equal(loadConfig({ VOICE_RTC_SEND_PATH: 'stock' }).rtcSendPath, 'stock');
  assert.throws(() => loadConfig({ VOICE_RTC_SEND_PATH: 'slow' }), { name: 'ConfigError', message: 'VOICE_RTC_SEND_PATH must be fast or stock' });
});
