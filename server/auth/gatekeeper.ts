/**
 * Who gets in, as what: the answer to every `hello` and every admin login.
 * Bans by address are checked first (a banned address learns nothing more),
 * then the account: register, log in, or come as a guest. Failed logins count
 * against the address and the account name (LoginThrottle); an unknown name
 * costs the same Argon2 work as a wrong password and gets the same answer.
 */
import { randomBytes } from 'node:crypto';
import { MIN_ACCOUNT_PASSWORD_LENGTH, type AccessDeniedReason } from '../../shared/control/protocol.ts';
import type { AccountStore, Account } from '../accounts/account-store.ts';
import type { BanList, Ban } from '../bans/ban-list.ts';
import { formatAddress, isV4Mapped, parseAddress } from '../bans/ip-range.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import { BusyError, ConflictError } from '../util/errors.ts';
import { createLogger } from '../util/log.ts';

const log = createLogger('gatekeeper');

/** What a refused password check says when the hasher's queue is full (server/auth/password-hash.ts). */
export const BUSY_MESSAGE = 'the server is busy checking passwords: try again in a moment';

/**
 * Self-registrations per address (addressKey): each costs a hash and a `users`
 * row, so each counts like a failed login, in a table of its own (a household
 * registering does not lock its logins): 20 an hour, then an hour's wait.
 * Registrations still running count too, so a parallel burst is bounded.
 */
export const REGISTRATION_THROTTLE: Partial<LoginThrottleOptions> = Object.freeze({ maxFailures: 20, windowMs: 3_600_000, blockMs: 3_600_000 });

const BAD_CREDENTIALS: Denial = Object.freeze({ ok: false, reason: 'bad-credentials', message: 'wrong name or password' });

export type Denial = { ok: false; reason: AccessDeniedReason; message: string; retryAfterMs?: number };
export type Admitted = { ok: true; account: Account | null };
export type LoggedIn = { ok: true; account: Account };

/** Where an account comes in: the control lane (a hello) or the admin API (login, and every request's token). */
export type Door = 'control' | 'admin-api';

export interface GatekeeperOptions {
  allowGuests: boolean;
  allowRegistration: boolean;
}

export interface Hello {
  nickname: string;
  password?: string | undefined;
  register?: boolean | undefined;
}

/**
 * The throttle's key for an address: one form per address ('::ffff:1.2.3.4'
 * is '1.2.3.4'), and one key per IPv6 /64, since a single host usually holds
 * a whole /64 and could otherwise rotate through it.
 */
export function addressKey(address: string): string {
  const bytes = parseAddress(address);
  if (!bytes) return `addr:${address}`;
  if (isV4Mapped(bytes)) return `addr:${formatAddress(bytes)}`;
  const net = new Uint8Array(16);
  net.set(bytes.subarray(0, 8));
  return `addr:${formatAddress(net)}/64`;
}

export function describeBan(ban: Ban): string {
  const until = ban.expiresAt === null ? 'permanently' : `until ${new Date(ban.expiresAt).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  return `you are banned from this server ${until}${ban.reason === '' ? '' : `: ${ban.reason}`}`;
}

/** The refusal for a ban in force: its description and, for a ban that ends, when. */
export function banDenial(ban: Ban, nowMs: number): Denial {
  return {
    ok: false,
    reason: 'banned',
    message: describeBan(ban),
    ...(ban.expiresAt === null ? {} : { retryAfterMs: Math.max(0, ban.expiresAt - nowMs) }),
  };
}

export class Gatekeeper {
  readonly #accounts: AccountStore;
  readonly #bans: BanList;
  readonly #throttle: LoginThrottle;
  readonly #registrations = new LoginThrottle(REGISTRATION_THROTTLE);
  readonly #options: GatekeeperOptions;
  /** Verified when the name is unknown, so that case costs what a wrong password costs. */
  #decoy: Promise<string> | null = null;

  constructor(accounts: AccountStore, bans: BanList, throttle: LoginThrottle, options: GatekeeperOptions) {
    this.#accounts = accounts;
    this.#bans = bans;
    this.#throttle = throttle;
    this.#options = options;
  }

  /** A ban on this address (or address + account), if one is in force. */
  bannedAt(address: string, userId: number | null, nowMs: number): Ban | null {
    return this.#bans.match({ userId, address: parseAddress(address) }, nowMs);
  }

  /**
   * The ban in force that keeps `account`, coming from `address`, out of
   * `door`, or null. Account bans hold everywhere. At the admin API an address
   * ban spares admin accounts, so the owner can always get back in to lift a
   * ban that covers their own address; the control lane spares nobody. The
   * one rule for both the admin API's login and every request it authenticates.
   */
  banFor(account: Account, address: string, nowMs: number, door: Door): Ban | null {
    const spared = door === 'admin-api' && account.role === 'admin';
    return spared ? this.#bans.match({ userId: account.id, address: null }, nowMs) : this.bannedAt(address, account.id, nowMs);
  }

  /** Decides a `hello`. */
  async admit(hello: Hello, address: string, nowMs: number): Promise<Admitted | Denial> {
    const addressBan = this.bannedAt(address, null, nowMs);
    if (addressBan) return banDenial(addressBan, nowMs);
    if (hello.register) return this.#register(hello.nickname, hello.password, address, nowMs);
    if (hello.password !== undefined) return this.login(hello.nickname, hello.password, address, nowMs);
    if (!this.#options.allowGuests) return { ok: false, reason: 'guests-not-allowed', message: 'this server admits registered users only: log in with a password' };
    if (await this.#accounts.findByName(hello.nickname)) {
      return { ok: false, reason: 'name-registered', message: `the name "${hello.nickname}" is registered: log in with its password, or pick another name` };
    }
    return { ok: true, account: null };
  }

  /**
   * Name + password → the account, for the control lane and the admin API
   * alike; which bans apply at `door` is banFor's rule.
   */
  async login(name: string, password: string, address: string, nowMs: number, door: Door = 'control'): Promise<LoggedIn | Denial> {
    const addrKey = addressKey(address);
    const userKey = `user:${name.toLowerCase()}`;
    // Attempts in flight count against the allowance too (LoginThrottle.begin): a burst of parallel
    // guesses gets maxFailures checks, not one per slot of the hasher's queue.
    const addrWait = this.#throttle.begin(addrKey, nowMs);
    if (addrWait > 0) return this.#rateLimited(addrWait);
    const userWait = this.#throttle.begin(userKey, nowMs);
    if (userWait > 0) {
      this.#throttle.end(addrKey, false, nowMs);
      return this.#rateLimited(userWait);
    }
    let ok = false;
    let found: Awaited<ReturnType<AccountStore['credentials']>>;
    try {
      found = await this.#accounts.credentials(name);
      ok = await verifyPassword(found?.passwordHash ?? (await this.#decoyHash()), password);
    } catch (error) {
      this.#throttle.end(addrKey, false, nowMs);
      this.#throttle.end(userKey, false, nowMs);
      if (error instanceof BusyError) return { ok: false, reason: 'busy', message: BUSY_MESSAGE };
      throw error;
    }
    this.#throttle.end(addrKey, !ok, nowMs);
    this.#throttle.end(userKey, !ok, nowMs);
    if (!found || !ok) {
      log.info('login failed', { address, name });
      return BAD_CREDENTIALS;
    }
    // Only the account's count is forgiven: one good login must not reset an address guessing others' passwords.
    this.#throttle.succeed(userKey);
    // A banned account's login is not recorded.
    const ban = this.banFor(found.account, address, nowMs, door);
    if (ban) return banDenial(ban, nowMs);
    // The row as it is now: an admin may have deleted the account or changed its role during the hash.
    const account = await this.#accounts.touchLogin(found.account.id, nowMs);
    if (!account) {
      log.info('login failed: the account was deleted during the check', { address, name });
      return BAD_CREDENTIALS;
    }
    // Which bans apply can depend on the role (banFor), and that is now the current one.
    const banNow = this.banFor(account, address, nowMs, door);
    if (banNow) return banDenial(banNow, nowMs);
    return { ok: true, account };
  }

  async #register(name: string, password: string | undefined, address: string, nowMs: number): Promise<LoggedIn | Denial> {
    if (!this.#options.allowRegistration) return { ok: false, reason: 'registration-closed', message: 'this server does not let users register themselves: ask its admin for an account' };
    if (password === undefined || password.length < MIN_ACCOUNT_PASSWORD_LENGTH) {
      return { ok: false, reason: 'weak-password', message: `a password needs at least ${MIN_ACCOUNT_PASSWORD_LENGTH} characters` };
    }
    // Registering costs a hash like a login does: an address blocked for guessing cannot register either.
    const key = addressKey(address);
    const wait = this.#throttle.blockedFor(key, nowMs);
    if (wait > 0) return this.#rateLimited(wait);
    const registrationWait = this.#registrations.begin(key, nowMs);
    if (registrationWait > 0) return this.#rateLimited(registrationWait, 'registrations from this address');
    // Every registration counts against the address (end(…, true)), made or refused, unless no hash ran (busy).
    let counted = true;
    try {
      const created = await this.#accounts.create(name, password, 'member', nowMs);
      const account = await this.#accounts.touchLogin(created.id, nowMs);
      if (!account) throw new Error(`account ${created.id} was deleted as it was registered`);
      log.info('account registered', { id: account.id, name: account.name, address });
      return { ok: true, account };
    } catch (error) {
      if (error instanceof ConflictError) return { ok: false, reason: 'name-taken', message: `the name "${name}" is already registered` };
      if (error instanceof BusyError) {
        counted = false;
        return { ok: false, reason: 'busy', message: BUSY_MESSAGE };
      }
      throw error;
    } finally {
      this.#registrations.end(key, counted, nowMs);
    }
  }

  #rateLimited(waitMs: number, what = 'failed logins'): Denial {
    const after = waitMs < 60_000 ? `${Math.ceil(waitMs / 1000)} s` : `${Math.ceil(waitMs / 60_000)} min`;
    return {
      ok: false,
      reason: 'rate-limited',
      message: `too many ${what}: try again in ${after}`,
      retryAfterMs: Math.ceil(waitMs),
    };
  }

  #decoyHash(): Promise<string> {
    this.#decoy ??= hashPassword(randomBytes(18).toString('base64url')).catch((error: unknown) => {
      this.#decoy = null; // a busy hasher must not leave a rejected decoy behind for good
      throw error;
    });
    return this.#decoy;
  }
}
