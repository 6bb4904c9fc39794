/**
 * The control lane's WebSocket endpoint at /control on the HTTP server: frame
 * size cap, heartbeat that finds dead peers, and one ControlConnection per socket.
 */
import type { Server as HttpServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { CloseCode, MAX_CONTROL_MESSAGE_BYTES } from '../../shared/control/protocol.ts';
import { ControlConnection, type ControlCounters } from './control-connection.ts';
import type { SessionManager } from './session-manager.ts';
import type { Gatekeeper } from '../auth/gatekeeper.ts';
import { clientAddress, type TrustedProxies } from '../http/client-address.ts';

export const CONTROL_PATH = '/control';

export interface ControlServerOptions {
  heartbeatMs: number;
  handshakeTimeoutMs: number;
  trustedProxies: TrustedProxies;
}

export class ControlServer {
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<ControlConnection>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly counters: ControlCounters = { connections: 0, messagesIn: 0, invalid: 0, rateLimited: 0, closedForAbuse: 0 };

  constructor(http: HttpServer, sessions: SessionManager, gatekeeper: Gatekeeper, options: ControlServerOptions) {
    this.#wss = new WebSocketServer({
      server: http,
      path: CONTROL_PATH,
      maxPayload: MAX_CONTROL_MESSAGE_BYTES,
      perMessageDeflate: false,
    });
    this.#wss.on('connection', (ws, req) => {
      this.counters.connections++;
      const conn = new ControlConnection(ws, clientAddress(req, options.trustedProxies), sessions, gatekeeper, this.counters, options.handshakeTimeoutMs);
      this.#connections.add(conn);
      ws.on('close', () => this.#connections.delete(conn));
    });
    this.#heartbeat = setInterval(() => {
      for (const c of this.#connections) c.heartbeat();
    }, options.heartbeatMs);
    this.#heartbeat.unref();
  }

  get openConnections(): number {
    return this.#connections.size;
  }

  /** The connection bound to a session (tests use it to cut a lane from the server side). */
  connectionOf(token: number): ControlConnection | undefined {
    for (const c of this.#connections) if (c.session?.token === token) return c;
    return undefined;
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const c of this.#connections) c.close(CloseCode.goingAway, 'server shutting down');
    // A peer that never answers the close frame would hold ws's 30 s close timeout: cut it after 1 s.
    const cut = setTimeout(() => {
      for (const c of this.#connections) c.terminate();
    }, 1000);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    clearTimeout(cut);
  }
}
