/**
 * The composition root: configuration → database → migrations → first admin →
 * channels, bans, chat history, token key → relay shards (worker threads) →
 * sessions → HTTP (admin API, client) + control lane. No port opens before the
 * schema is current and every relay shard is running. `close()` undoes it in
 * reverse order.
 */
import { hostPort, localHost } from '../shared/net/host-port.ts';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { migrateToLatestOrThrow } from './db/migrate.ts';
import { ChannelDirectory } from './channels/channel-directory.ts';
import { RelayShards, type ShardStats } from './shards/relay-shards.ts';
import type { ShardPreload } from './shards/shard-messages.ts';
import type { RelayHold } from './shards/shard-counters.ts';
import type { RelayCounters } from './relay/voice-relay.ts';
import { SessionManager } from './control/session-manager.ts';
import { ControlServer } from './control/control-server.ts';
import { createHttpApp } from './http/http-app.ts';
import { AccountStore } from './accounts/account-store.ts';
import { ensureAdminAccount } from './accounts/bootstrap-admin.ts';
import { BanList } from './bans/ban-list.ts';
import { ChatHistory } from './chat/chat-history.ts';
import { Gatekeeper } from './auth/gatekeeper.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { TokenService } from './auth/token-service.ts';
import { adminApi } from './admin/admin-api.ts';
import { ADMIN_ROUTES } from './admin/admin-routes.ts';
import { loadOrCreateDtlsKeys } from './rtc/dtls-identity.ts';
import { installProcessGuards, processCounters } from './util/process-guards.ts';
import { setListenerErrorReporter } from '../shared/util/typed-emitter.ts';
import { createLogger, setLogLevel } from './util/log.ts';
import { SERVER_VERSION } from './version.ts';

const log = createLogger('server');

export interface RunningServer {
  readonly config: Config;
  /** http://host:port of the listening server. */
  readonly url: string;
  readonly port: number;
  readonly db: Database;
  /** The channel tree (tests edit it directly; clients hear of edits made through the admin API). */
  readonly channels: ChannelDirectory;
  readonly accounts: AccountStore;
  readonly bans: BanList;
  /** The relay, sharded over worker threads (counters, membership mirror, test hooks). */
  readonly relay: RelayShards;
  readonly sessions: SessionManager;
  readonly control: ControlServer;
  readonly http: HttpServer;
  stats(): ServerStats;
  close(): Promise<void>;
}

export interface ServerStats {
  uptimeSeconds: number;
  sessions: number;
  controlConnections: number;
  /** Every shard's relay counters added up. */
  relay: RelayCounters;
  /** Relay hold: per datagram the voice lanes sent, from the relay queueing it to its sendmsg (shard-counters.ts). */
  relayHold: RelayHold;
  /** Per relay shard (worker thread). */
  shards: ShardStats[];
  control: ControlServer['counters'];
  process: { rssBytes: number; heapUsedBytes: number; unhandledRejections: number };
}

/** What a test may add that no setting offers. */
export interface StartOptions {
  /** A module every relay shard's thread imports first (RelayShardsOptions.preload). */
  relayPreload?: ShardPreload;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  setLogLevel(config.logLevel);
  installProcessGuards();
  setListenerErrorReporter((error, event) => log.error('event listener threw', { event, error }));
  const startedAt = Date.now();

  const db = openDatabase(config.dataDir);
  try {
    const { applied } = await migrateToLatestOrThrow(db, config.migrationsDir);
    if (applied.length > 0) log.info('migrations applied', { applied });
  } catch (error) {
    await db.close();
    throw error;
  }
  let channels: ChannelDirectory, bans: BanList, chat: ChatHistory, tokens: TokenService, dtlsKeys: Awaited<ReturnType<typeof loadOrCreateDtlsKeys>>['keys'];
  const accounts = new AccountStore(db);
  try {
    await ensureAdminAccount(accounts, config.adminPassword);
    channels = await ChannelDirectory.load(db);
    bans = await BanList.load(db);
    chat = new ChatHistory(db, config.chatHistory);
    const loaded = await TokenService.load({ dataDir: config.dataDir, secret: config.tokenSecret, ttlSeconds: config.tokenTtlSeconds });
    tokens = loaded.service;
    if (loaded.created) log.info('generated the admin token key', { dataDir: config.dataDir });
    const dtls = await loadOrCreateDtlsKeys(config.dataDir);
    dtlsKeys = dtls.keys;
    if (dtls.created) log.info('generated the server DTLS identity', { dataDir: config.dataDir });
  } catch (error) {
    await db.close();
    throw error;
  }
  const gatekeeper = new Gatekeeper(accounts, bans, new LoginThrottle(), {
    allowGuests: config.allowGuests,
    allowRegistration: config.allowRegistration,
  });

  const relay = new RelayShards({
    threads: config.relayThreads,
    peer: {
      portRange: config.rtcPortRange,
      extraHostAddresses: config.rtcExtraHostAddresses,
      announcedAddress: config.rtcAnnouncedAddress,
      dtlsKeys,
      sendPath: config.rtcSendPath,
    },
    bundleHoldMs: config.relayBundleMs,
    logLevel: config.logLevel,
    preload: options.relayPreload ?? null,
  });
  try {
    await relay.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  log.info('relay shards running', { threads: relay.threads });
  const sessions = new SessionManager(channels, relay, chat, {
    serverName: config.serverName,
    resumeGraceMs: config.resumeGraceMs,
  });
  relay.on('shard-restarted', (index, tokens) => {
    log.warn('relay shard restarted; its sessions renegotiate', { shard: index, sessions: tokens.length });
    sessions.renewPeers(tokens, 'relay-restart');
  });

  let control: ControlServer | null = null;
  const stats = (): ServerStats => {
    const mem = process.memoryUsage();
    return {
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      sessions: sessions.size,
      controlConnections: control?.openConnections ?? 0,
      relay: relay.counters,
      relayHold: relay.hold,
      shards: relay.shardStats(),
      control: control?.counters ?? { connections: 0, messagesIn: 0, invalid: 0, rateLimited: 0, closedForAbuse: 0 },
      process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, unhandledRejections: processCounters.unhandledRejections + relay.unhandledRejections },
    };
  };
  const app = createHttpApp({
    clientDir: config.clientDir,
    api: adminApi({ db, accounts, bans, channels, sessions, gatekeeper, tokens, stats, trustedProxies: config.trustedProxies }, ADMIN_ROUTES),
    health: () => ({ ok: true, serverName: config.serverName, version: SERVER_VERSION, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), sessions: sessions.size }),
  });
  const http = createServer(app.callback());
  control = new ControlServer(http, sessions, gatekeeper, {
    trustedProxies: config.trustedProxies, heartbeatMs: config.heartbeatMs, handshakeTimeoutMs: config.handshakeTimeoutMs });
  const controlServer = control;

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await controlServer.close();
    await relay.close();
    await db.close();
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  const url = `http://${hostPort({ host: localHost(config.host), port })}`;
  log.info('listening', { url, host: config.host, port, dataDir: config.dataDir });

  let closing: Promise<void> | null = null;
  return {
    config,
    url,
    port,
    db,
    channels,
    accounts,
    bans,
    relay,
    sessions,
    control: controlServer,
    http,
    stats,
    close() {
      closing ??= (async () => {
        sessions.closeAll();
        await controlServer.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await relay.close();
        await db.close();
        log.info('stopped');
      })();
      return closing;
    },
  };
}
