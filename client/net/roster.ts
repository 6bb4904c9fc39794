/**
 * The client's view of the server: channels, users and where each user is.
 * A pure reducer over server messages, so the app and the tests read the same
 * state the protocol produced.
 */
import type { ChannelInfo, ServerMessage, UserInfo } from '../../shared/control/protocol.ts';

export class Roster {
  readonly channels = new Map<number, ChannelInfo>();
  readonly users = new Map<number, UserInfo>();

  /** Applies one server message; returns whether it changed the roster. */
  apply(msg: ServerMessage): boolean {
    switch (msg.type) {
      case 'welcome':
      case 'resumed':
        this.channels.clear();
        for (const c of msg.channels) this.channels.set(c.id, c);
        this.users.clear();
        for (const u of msg.users) this.users.set(u.sessionToken, u);
        return true;
      case 'user-joined':
        this.users.set(msg.user.sessionToken, msg.user);
        return true;
      case 'user-left':
        return this.users.delete(msg.sessionToken);
      case 'user-moved': {
        const u = this.users.get(msg.sessionToken);
        if (!u) return false;
        this.users.set(msg.sessionToken, { ...u, channelId: msg.channelId });
        return true;
      }
      case 'user-role': {
        const u = this.users.get(msg.sessionToken);
        if (!u) return false;
        this.users.set(msg.sessionToken, { ...u, role: msg.role });
        return true;
      }
      case 'channel-updated':
        this.channels.set(msg.channel.id, msg.channel);
        return true;
      case 'channel-removed':
        return this.channels.delete(msg.channelId);
      case 'user-state': {
        const u = this.users.get(msg.sessionToken);
        if (!u) return false;
        this.users.set(msg.sessionToken, { ...u, selfMute: msg.selfMute, selfDeaf: msg.selfDeaf });
        return true;
      }
      default:
        return false;
    }
  }

  /** Records the local user's own move (the server sends `joined`, not `user-moved`, to the mover). */
  moveSelf(token: number, channelId: number): void {
    const u = this.users.get(token);
    if (u) this.users.set(token, { ...u, channelId });
  }
}
