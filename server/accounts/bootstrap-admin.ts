/**
 * First start: make sure an admin account exists. With no admin, the account
 * `admin` is created (or, if that name exists without the role, promoted)
 * with VOICE_ADMIN_PASSWORD or a random password printed once to the log.
 * Later starts do nothing: the password is never printed twice.
 */
import { randomBytes } from 'node:crypto';
import type { AccountStore } from './account-store.ts';
import { createLogger } from '../util/log.ts';

const log = createLogger('accounts');

const FIRST_ADMIN_NAME = 'admin';

export async function ensureAdminAccount(accounts: AccountStore, configuredPassword: string | null): Promise<void> {
  if ((await accounts.countAdmins()) > 0) return;
  const password = configuredPassword ?? randomBytes(15).toString('base64url');
  const existing = await accounts.findByName(FIRST_ADMIN_NAME);
  if (existing) {
    await accounts.setRole(existing.id, 'admin');
    await accounts.setPassword(existing.id, password);
  } else {
    await accounts.create(FIRST_ADMIN_NAME, password, 'admin');
  }
  if (configuredPassword === null) {
    // Written straight to stderr, once, so it stands out from the structured lines around it.
    process.stderr.write(
      `\n  first run: created the admin account "${FIRST_ADMIN_NAME}" with password: ${password}\n` +
        '  (shown once; log in at /admin and change it, or set VOICE_ADMIN_PASSWORD before the first start)\n\n',
    );
  }
  log.info('created the first admin account', { name: FIRST_ADMIN_NAME, password: configuredPassword === null ? 'generated (printed above)' : 'from VOICE_ADMIN_PASSWORD' });
}
