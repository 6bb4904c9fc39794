/**
 * loadConfig's checks that share their limits with the rest of the server:
 * the admin password takes the account password lengths, the token secret
 * TokenService's minimum (counted in UTF-8 bytes, never echoed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';
import { MAX_PASSWORD_LENGTH, MIN_ACCOUNT_PASSWORD_LENGTH } from '../shared/control/protocol.ts';
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
