/**
 * The chat lines this app knows, per channel: the stored ones the server sends
 * on arrival (`chat-history`, after welcome and every `joined`) merged with
 * the live ones, one line per message id, oldest first. A pure reducer over
 * server messages (like the Roster), so the chat panel renders whatever it
 * holds and the tests drive it without a socket.
 *
 * A line is `history` when it came before this user (re)entered the channel:
 * everything held for a channel when its history arrives counts as history,
 * lines arriving live after that do not.
 */
import type { ServerMessage } from '../../../shared/control/protocol.ts';

export interface ChatLine {
  /** The server's message id (a stored row's id; live chat carries the same). */
  id: number;
  from: string;
  /** Sent by this user (history lines: by this nickname). */
  mine: boolean;
  text: string;
  /** Server clock, ms since the Unix epoch. */
  serverTime: number;
  history: boolean;
}

export interface ChatSelf {
  sessionToken: number;
  nickname: string;
}

const NO_LINES: readonly ChatLine[] = Object.freeze([]);

export class ChatLog {
  readonly #max: number;
  /** Every channel's lines; each array is replaced, never changed, so a renderer can compare by identity. */
  readonly #lines = new Map<number, readonly ChatLine[]>();

  constructor(maxLinesPerChannel = 200) {
    if (!Number.isInteger(maxLinesPerChannel) || maxLinesPerChannel < 1) throw new TypeError('maxLinesPerChannel must be a positive integer');
    this.#max = maxLinesPerChannel;
  }

  /** A channel's lines, oldest first (the same array until they change). */
  lines(channelId: number): readonly ChatLine[] {
    return this.#lines.get(channelId) ?? NO_LINES;
  }

  /** Applies one server message; returns whether any channel's lines changed. */
  apply(m: ServerMessage, self: ChatSelf): boolean {
    switch (m.type) {
      case 'welcome':
        // A new session: what an earlier one saw is not carried over (its history will come again).
        if (this.#lines.size === 0) return false;
        this.#lines.clear();
        return true;
      case 'chat': {
        const line: ChatLine = {
          id: m.id,
          from: m.sender.nickname,
          mine: m.sender.sessionToken === self.sessionToken,
          text: m.text,
          serverTime: m.serverTime,
          history: false,
        };
        const held = this.lines(m.channelId);
        if (held.some((l) => l.id === m.id)) return false;
        this.#set(m.channelId, [...held, line]);
        return true;
      }
      case 'chat-history': {
        const byId = new Map<number, ChatLine>();
        for (const l of this.lines(m.channelId)) byId.set(l.id, { ...l, history: true });
        for (const e of m.messages) {
          if (!byId.has(e.id)) byId.set(e.id, { id: e.id, from: e.nickname, mine: e.nickname === self.nickname, text: e.text, serverTime: e.serverTime, history: true });
        }
        this.#set(m.channelId, [...byId.values()].sort(byTime));
        return true;
      }
      case 'channel-removed':
        return this.#lines.delete(m.channelId);
      default:
        return false;
    }
  }

  clear(): void {
    this.#lines.clear();
  }

  #set(channelId: number, lines: ChatLine[]): void {
    this.#lines.set(channelId, lines.length > this.#max ? lines.slice(-this.#max) : lines);
  }
}

/** Server time, then id: both come from the server, so history and live lines interleave correctly. */
function byTime(a: ChatLine, b: ChatLine): number {
  return a.serverTime - b.serverTime || a.id - b.id;
}
