/**
 * Server configuration: parsed once from the environment into a frozen, typed
 * object. Every variable is documented in README.md; an unknown VOICE_* name or
 * an invalid value fails start-up with one clear line.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './util/errors.ts';
import type { LogLevel } from './util/log.ts';
import { parseAddressRange, type AddressRange } from './bans/ip-range.ts';
import { MAX_PASSWORD_LENGTH, MIN_ACCOUNT_PASSWORD_LENGTH } from '../shared/control/protocol.ts';
import { tokenSecretBytes } from './auth/token-service.ts';
import { MAX_BUNDLE_WAIT_MS } from './relay/relay-limits.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly serverName: string;
  readonly clientDir: string;
  readonly migrationsDir: string;
  readonly logLevel: LogLevel;
  /** Public address put into ICE candidates instead of the local one (NAT, Docker). */
  readonly rtcAnnouncedAddress: string | null;
  /** UDP port range werift binds ICE sockets in; null lets the OS choose. */
  readonly rtcPortRange: readonly [number, number] | null;
  /** Extra local addresses to gather host candidates on (loopback is excluded by default). */
  readonly rtcExtraHostAddresses: readonly string[];
  readonly resumeGraceMs: number;
  readonly heartbeatMs: number;
  readonly handshakeTimeoutMs: number;
  /** Sessions without an account may connect (with a nickname no account holds). */
  readonly allowGuests: boolean;
  /** `hello` with `register` may create accounts. */
  readonly allowRegistration: boolean;
  /** Password of the `admin` account created on the first start; null prints a generated one once. */
  readonly adminPassword: string | null;
  /** HMAC key for admin API tokens; null uses (or creates) <dataDir>/token-secret.key. */
  readonly tokenSecret: string | null;
  readonly tokenTtlSeconds: number;
  /** Chat messages kept per channel and sent on join; 0 keeps none. */
  readonly chatHistory: number;
  /** Reverse proxies whose X-Forwarded-For is believed (server/http/client-address.ts). */
  readonly trustedProxies: readonly AddressRange[];
  /** Relay shards (worker threads); each takes an equal slice of rtcPortRange. */
  readonly relayThreads: number;
  /** How datagrams leave: 'fast' (server/rtc/voice-lane-sender.ts) or 'stock' (werift's own path, for benchmarks). */
  readonly rtcSendPath: 'fast' | 'stock';
  /** How long the relay holds datagrams to one listener for company (ms, 0: to the end of the event-loop turn). */
  readonly relayBundleMs: number;
}

/** The most relay threads VOICE_RELAY_THREADS may ask for. */
export const MAX_RELAY_THREADS = 64;
/**
 * With a UDP port range and no VOICE_RELAY_THREADS, no more threads than leave
 * each this many ports of its own (a channel lives on one thread, and a user
 * takes one or two ports: a slice of 32 holds a channel of 16 or more).
 */
export const DEFAULT_PORTS_PER_THREAD = 32;

type Parser<T> = (raw: string, name: string) => T;

const int = (min: number, max: number): Parser<number> => (raw, name) => {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
};

const bool: Parser<boolean> = (raw, name) => {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
};

const address: Parser<string> = (raw, name) => {
  if (isIP(raw) === 0) throw new ConfigError(`${name} must be an IP address, got "${raw}"`);
  return raw;
};

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** The recognised variables, their parsers and defaults. */
const spec = {
  VOICE_HOST: { parse: address, def: '0.0.0.0' },
  VOICE_PORT: { parse: int(0, 65535), def: '8080' },
  VOICE_DATA_DIR: { parse: (r: string) => path.resolve(r), def: './data' },
  VOICE_SERVER_NAME: {
    parse: (r: string, n: string) => {
      if (r.length < 1 || r.length > 64) throw new ConfigError(`${n} must be 1–64 characters`);
      return r;
    },
    def: 'voice-app',
  },
  VOICE_CLIENT_DIR: { parse: (r: string) => path.resolve(r), def: path.join(repoRoot, 'dist', 'client') },
  VOICE_MIGRATIONS_DIR: { parse: (r: string) => path.resolve(r), def: path.join(repoRoot, 'migrations') },
  VOICE_LOG_LEVEL: {
    parse: (r: string, n: string): LogLevel => {
      if (!(LEVELS as readonly string[]).includes(r)) throw new ConfigError(`${n} must be one of ${LEVELS.join(', ')}`);
      return r as LogLevel;
    },
    def: 'info',
  },
  VOICE_RTC_ANNOUNCED_ADDRESS: { parse: address, def: '' },
  VOICE_RTC_PORT_MIN: { parse: int(1024, 65535), def: '' },
  VOICE_RTC_PORT_MAX: { parse: int(1024, 65535), def: '' },
  VOICE_RTC_EXTRA_HOST_ADDRESSES: {
    parse: (r: string, n: string) => r.split(',').map((s) => address(s.trim(), n)),
    def: '',
  },
  VOICE_RESUME_GRACE_MS: { parse: int(0, 600_000), def: '30000' },
  VOICE_HEARTBEAT_MS: { parse: int(1_000, 300_000), def: '15000' },
  VOICE_HANDSHAKE_TIMEOUT_MS: { parse: int(500, 120_000), def: '10000' },
  VOICE_ALLOW_GUESTS: { parse: bool, def: 'true' },
  VOICE_ALLOW_REGISTRATION: { parse: bool, def: 'true' },
  VOICE_ADMIN_PASSWORD: {
    parse: (r: string, n: string) => {
      if (r.length < MIN_ACCOUNT_PASSWORD_LENGTH || r.length > MAX_PASSWORD_LENGTH) {
        throw new ConfigError(`${n} must be ${MIN_ACCOUNT_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`);
      }
      return r;
    },
    def: '',
  },
  VOICE_TOKEN_SECRET: {
    parse: (r: string, n: string) => {
      tokenSecretBytes(r, n);
      return r;
    },
    def: '',
  },
  VOICE_TOKEN_TTL_SECONDS: { parse: int(60, 31 * 24 * 3600), def: '3600' },
  VOICE_CHAT_HISTORY: { parse: int(0, 1000), def: '50' },
  VOICE_RELAY_THREADS: { parse: int(1, MAX_RELAY_THREADS), def: '' },
  VOICE_RTC_SEND_PATH: {
    parse: (r: string, n: string): 'fast' | 'stock' => {
      if (r !== 'fast' && r !== 'stock') throw new ConfigError(`${n} must be fast or stock`);
      return r;
    },
    def: 'fast',
  },
  VOICE_RELAY_BUNDLE_MS: { parse: int(0, MAX_BUNDLE_WAIT_MS), def: '0' },
  VOICE_TRUSTED_PROXIES: {
    parse: (r: string, n: string): AddressRange[] =>
      r.split(',').map((t) => {
        const range = parseAddressRange(t.trim());
        if ('error' in range) throw new ConfigError(`${n}: "${t.trim()}": ${range.error}`);
        return range;
      }),
    def: '',
  },
} as const;

type SpecKey = keyof typeof spec;

function read<K extends SpecKey>(env: Record<string, string | undefined>, key: K): ReturnType<(typeof spec)[K]['parse']> | null {
  const raw = env[key] ?? spec[key].def;
  if (raw === '') return null;
  return spec[key].parse(raw, key) as ReturnType<(typeof spec)[K]['parse']>;
}

/** Parses `env` (defaults to process.env); throws ConfigError with a one-line reason. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  for (const key of Object.keys(env)) {
    if (key.startsWith('VOICE_') && !(key in spec)) throw new ConfigError(`unknown setting ${key} (see README.md, Configuration)`);
  }
  const host = read(env, 'VOICE_HOST')!;
  const min = read(env, 'VOICE_RTC_PORT_MIN');
  const max = read(env, 'VOICE_RTC_PORT_MAX');
  if ((min === null) !== (max === null)) throw new ConfigError('VOICE_RTC_PORT_MIN and VOICE_RTC_PORT_MAX go together');
  if (min !== null && max !== null && min >= max) throw new ConfigError('VOICE_RTC_PORT_MIN must be below VOICE_RTC_PORT_MAX');
  const extra = read(env, 'VOICE_RTC_EXTRA_HOST_ADDRESSES') ?? [];
  // Each relay thread binds its peers' UDP ports in its own slice of the range, so it needs a port per thread at least.
  const ports = min !== null && max !== null ? max - min + 1 : Infinity;
  let relayThreads = read(env, 'VOICE_RELAY_THREADS');
  if (relayThreads !== null && relayThreads > ports) {
    throw new ConfigError(`VOICE_RELAY_THREADS (${relayThreads}) is more than the ${ports} ports of VOICE_RTC_PORT_MIN–VOICE_RTC_PORT_MAX (each relay thread takes its own slice)`);
  }
  relayThreads ??= Math.max(1, Math.min(availableParallelism(), MAX_RELAY_THREADS, Math.floor(ports / DEFAULT_PORTS_PER_THREAD)));
  // werift skips loopback when gathering; a server bound to loopback must offer it or nobody can connect.
  const loopback = host === '127.0.0.1' || host === '::1';
  const config: Config = {
    host,
    port: read(env, 'VOICE_PORT')!,
    dataDir: read(env, 'VOICE_DATA_DIR')!,
    serverName: read(env, 'VOICE_SERVER_NAME')!,
    clientDir: read(env, 'VOICE_CLIENT_DIR')!,
    migrationsDir: read(env, 'VOICE_MIGRATIONS_DIR')!,
    logLevel: read(env, 'VOICE_LOG_LEVEL')!,
    rtcAnnouncedAddress: read(env, 'VOICE_RTC_ANNOUNCED_ADDRESS'),
    rtcPortRange: min !== null && max !== null ? [min, max] : null,
    rtcExtraHostAddresses: loopback && !extra.includes(host) ? [...extra, host] : extra,
    resumeGraceMs: read(env, 'VOICE_RESUME_GRACE_MS')!,
    heartbeatMs: read(env, 'VOICE_HEARTBEAT_MS')!,
    handshakeTimeoutMs: read(env, 'VOICE_HANDSHAKE_TIMEOUT_MS')!,
    allowGuests: read(env, 'VOICE_ALLOW_GUESTS')!,
    allowRegistration: read(env, 'VOICE_ALLOW_REGISTRATION')!,
    adminPassword: read(env, 'VOICE_ADMIN_PASSWORD'),
    tokenSecret: read(env, 'VOICE_TOKEN_SECRET'),
    tokenTtlSeconds: read(env, 'VOICE_TOKEN_TTL_SECONDS')!,
    chatHistory: read(env, 'VOICE_CHAT_HISTORY')!,
    trustedProxies: read(env, 'VOICE_TRUSTED_PROXIES') ?? [],
    relayThreads,
    rtcSendPath: read(env, 'VOICE_RTC_SEND_PATH')!,
    relayBundleMs: read(env, 'VOICE_RELAY_BUNDLE_MS')!,
    ...overrides,
  };
  return Object.freeze(config);
}
