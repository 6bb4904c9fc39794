/**
 * Which relay shard serves each channel, and so each member. Pure (no
 * threads, no clock): RelayShards asks it on every membership push and sends
 * the members where it says.
 *
 * Rules: a channel with members keeps its shard. When an empty channel gets
 * its first member it goes to the shard with the fewest members — the joiner
 * counted as gone from where it was — and among equals to the joiner's own
 * shard if that is one of them (so a move between two otherwise empty
 * channels costs no renegotiation), else to the lowest index. A channel
 * whose last member leaves is forgotten.
 */
export class ShardPlacement {
  readonly shardCount: number;
  readonly #load: number[];
  readonly #channels = new Map<number, { shard: number; tokens: Set<number> }>();
  readonly #members = new Map<number, { channelId: number; shard: number }>();

  constructor(shardCount: number) {
    if (!Number.isInteger(shardCount) || shardCount < 1) throw new TypeError(`shardCount must be a positive integer, got ${shardCount}`);
    this.shardCount = shardCount;
    this.#load = new Array<number>(shardCount).fill(0);
  }

  /** Puts `token` in `channelId` (a new member, a move, or a no-op); returns the shard it is on now. */
  place(token: number, channelId: number): number {
    const member = this.#members.get(token);
    if (member?.channelId === channelId) return member.shard;
    const from = member ? this.#leave(token, member) : null;
    let channel = this.#channels.get(channelId);
    if (!channel) {
      channel = { shard: this.#leastLoaded(from), tokens: new Set() };
      this.#channels.set(channelId, channel);
    }
    channel.tokens.add(token);
    this.#load[channel.shard]!++;
    this.#members.set(token, { channelId, shard: channel.shard });
    return channel.shard;
  }

  /** Forgets `token`; returns the shard it was on (null if unknown). */
  remove(token: number): number | null {
    const member = this.#members.get(token);
    if (!member) return null;
    this.#members.delete(token);
    return this.#leave(token, member);
  }

  has(token: number): boolean {
    return this.#members.has(token);
  }

  shardOf(token: number): number | null {
    return this.#members.get(token)?.shard ?? null;
  }

  /** The shard of a channel with members; null for an empty (unplaced) channel. */
  shardOfChannel(channelId: number): number | null {
    return this.#channels.get(channelId)?.shard ?? null;
  }

  /** Members of a channel by token, in the order they came (allocates). */
  channelTokens(channelId: number): number[] {
    return [...(this.#channels.get(channelId)?.tokens ?? [])];
  }

  /** Members on a shard. */
  load(shard: number): number {
    return this.#load[shard] ?? 0;
  }

  /** Tokens on a shard (allocates). */
  tokensOn(shard: number): number[] {
    const out: number[] = [];
    for (const [token, m] of this.#members) if (m.shard === shard) out.push(token);
    return out;
  }

  /** Channels with members on a shard. */
  channelsOn(shard: number): number {
    let n = 0;
    for (const c of this.#channels.values()) if (c.shard === shard) n++;
    return n;
  }

  /** Every member with its shard (allocates). */
  entries(): Array<[token: number, shard: number]> {
    return [...this.#members].map(([token, m]) => [token, m.shard]);
  }

  #leave(token: number, member: { channelId: number; shard: number }): number {
    const channel = this.#channels.get(member.channelId);
    if (channel) {
      channel.tokens.delete(token);
      if (channel.tokens.size === 0) this.#channels.delete(member.channelId);
    }
    this.#load[member.shard]!--;
    return member.shard;
  }

  #leastLoaded(preferred: number | null): number {
    let best = 0;
    for (let i = 1; i < this.shardCount; i++) if (this.#load[i]! < this.#load[best]!) best = i;
    if (preferred !== null && this.#load[preferred] === this.#load[best]) return preferred;
    return best;
  }
}

/**
 * The `index`th of `count` slices of a UDP port range: each shard binds its
 * peers' sockets in its own slice, so two threads never race for one port
 * (werift probes a port, closes it, then binds). Every port is in exactly one
 * slice; each slice has at least one port when the range has `count` ports.
 */
export function portSlice(range: readonly [number, number], index: number, count: number): [number, number] {
  const size = range[1] - range[0] + 1;
  const from = range[0] + Math.floor((index * size) / count);
  const to = range[0] + Math.floor(((index + 1) * size) / count) - 1;
  return [from, Math.max(from, to)];
}
