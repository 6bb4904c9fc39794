/**
 * <channel-tree>: the server's channels nested by parent and ordered by
 * position, with the people in each. A dot lights while someone is heard
 * (LevelReport.speaking) or while this user transmits; mute and deafen
 * icons come from the roster. Channels show a lock (password) and a badge
 * for the least role that may join; people a badge for moderator/admin and a
 * mark when logged in to a registered account. Follows the session's
 * messages (channels appear, change and go live) and the engine's level
 * reports itself, re-rendering only when something shown changes.
 *
 * Test hooks: each person is `li[data-user="<nickname>"][data-speaking="true|false"]`
 * (`data-role`, `data-registered`) under `.users`; channels are buttons named
 * by the channel name, `li[data-channel="<name>"]`, with `.role-badge`.
 *
 * Events: `voice-channel-activate` { channelId }, `voice-user-select` { user, anchor }.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { ChannelInfo, ServerMessage, UserInfo } from '../../../shared/control/protocol.ts';
import type { AudioEngine } from '../../audio/audio-engine.ts';
import type { LevelReport } from '../../audio/engine-api.ts';
import type { VoiceSession } from '../../net/voice-session.ts';
import { EmitterSubscription } from '../controllers/emitter-subscription.ts';
import { childrenByParent } from '../shared/channel-order.ts';
import { channelIcon, headphonesOffIcon, lockIcon, micOffIcon, registeredIcon, speakerOffIcon } from '../shared/icons.ts';
import { channelRoleBadge, userRoleBadge } from '../voice-app/messages.ts';
import { styles } from './channel-tree.styles.ts';

export class ChannelTree extends LitElement {
  static override styles = styles;
  static override properties = {
    session: { attribute: false },
    engine: { attribute: false },
    localMuted: { attribute: false },
  };

  declare session: VoiceSession | null;
  declare engine: AudioEngine | null;
  /** Tokens this user muted locally. */
  declare localMuted: ReadonlySet<number>;
  /** Who is heard now; the own token while transmitting. */
  #speaking: ReadonlySet<number> = new Set();

  readonly #sessionSub = new EmitterSubscription<VoiceSession>(this, (s) => [s.on('message', (m) => this.#onMessage(m))]);
  readonly #engineSub = new EmitterSubscription<AudioEngine>(this, (e) => [e.on('level', (r) => this.#onLevel(r))]);

  constructor() {
    super();
    this.session = null;
    this.engine = null;
    this.localMuted = new Set();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('session')) this.#sessionSub.follow(this.session);
    if (changed.has('engine')) {
      this.#engineSub.follow(this.engine);
      if (!this.engine) this.#speaking = new Set();
    }
  }

  #onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'welcome':
      case 'resumed':
      case 'joined':
      case 'user-joined':
      case 'user-left':
      case 'user-moved':
      case 'user-state':
      case 'user-role':
      case 'channel-updated':
      case 'channel-removed':
        this.requestUpdate();
        break;
      default:
        break;
    }
  }

  #onLevel(report: LevelReport): void {
    const me = this.session?.sessionToken ?? 0;
    const now = new Set(report.speaking);
    if (report.transmitting && me !== 0) now.add(me);
    if (!sameSet(now, this.#speaking)) {
      this.#speaking = now;
      this.requestUpdate();
    }
  }

  #emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  #channels(tree: Tree, parentId: number | null): TemplateResult | typeof nothing {
    const children = tree.children.get(parentId);
    if (!children) return nothing;
    return html`<ul class="tree">
      ${children.map((c) => this.#channel(tree, c))}
    </ul>`;
  }

  #channel(tree: Tree, c: ChannelInfo): TemplateResult {
    const s = this.session!;
    const here = s.channelId === c.id;
    const locked = c.locked === true;
    const users = tree.users.get(c.id) ?? [];
    const badge = channelRoleBadge(c.requiredRole);
    const facts = [`${Math.round(c.config.bitrate / 1000)} kbps`, locked ? 'password protected' : '', badge ? `${badge} only` : '', here ? 'you are here' : ''].filter(Boolean).join(' · ');
    return html`<li data-channel=${c.name}>
      <button class="channel ${here ? 'here' : ''}" aria-current=${here ? 'true' : 'false'} title=${facts} @click=${() => this.#emit('voice-channel-activate', { channelId: c.id })}>
        ${channelIcon}<span class="name">${c.name}</span>${badge ? html`<span class="role-badge">${badge}<span class="visually-hidden"> only</span></span>` : nothing}${locked
          ? html`<span class="lock" aria-hidden="true">${lockIcon}</span>`
          : nothing}
        ${users.length > 0 ? html`<span class="count" aria-hidden="true">${users.length}</span>` : nothing}
      </button>
      ${users.length > 0 ? html`<ul class="users">${users.map((u) => this.#user(u))}</ul>` : nothing}
      ${this.#channels(tree, c.id)}
    </li>`;
  }

  #user(u: UserInfo): TemplateResult {
    const me = u.sessionToken === this.session?.sessionToken;
    const speaking = this.#speaking.has(u.sessionToken);
    const silenced = this.localMuted.has(u.sessionToken);
    const role = userRoleBadge(u.role);
    const registered = u.registered === true;
    const body = html`<span class="talk" aria-hidden="true"></span><span class="nick">${u.nickname}</span>${registered
        ? html`<span class="registered" title="Registered user">${registeredIcon}<span class="visually-hidden">registered</span></span>`
        : nothing}${role ? html`<span class="role-badge" title=${u.role === 'admin' ? 'Administrator' : 'Moderator'}>${role}</span>` : nothing}${me
        ? html`<span class="you">(you)</span>`
        : nothing}
      <span class="flags">
        ${u.selfDeaf
          ? html`<span title="Sound off (deafened)">${headphonesOffIcon}<span class="visually-hidden">sound off</span></span>`
          : u.selfMute
            ? html`<span title="Microphone off">${micOffIcon}<span class="visually-hidden">microphone off</span></span>`
            : nothing}
        ${silenced ? html`<span title="Silenced for you">${speakerOffIcon}<span class="visually-hidden">silenced for you</span></span>` : nothing}
      </span>`;
    return html`<li
      data-user=${u.nickname}
      data-speaking=${speaking ? 'true' : 'false'}
      data-role=${u.role ?? 'guest'}
      data-registered=${registered ? 'true' : 'false'}
      class=${me ? 'me' : ''}
    >
      ${me
        ? html`<span class="user">${body}</span>`
        : html`<button class="user" aria-haspopup="dialog" title="Volume and mute for ${u.nickname}" @click=${(e: Event) => this.#emit('voice-user-select', { user: u, anchor: (e.currentTarget as HTMLElement).getBoundingClientRect() })}>${body}</button>`}
    </li>`;
  }

  override render(): TemplateResult | typeof nothing {
    const roster = this.session?.roster;
    if (!roster) return nothing;
    // Grouped and sorted once per render: children by parent, people by channel.
    const users = new Map<number, UserInfo[]>();
    for (const u of roster.users.values()) {
      const list = users.get(u.channelId);
      if (list) list.push(u);
      else users.set(u.channelId, [u]);
    }
    for (const list of users.values()) list.sort((a, b) => a.nickname.localeCompare(b.nickname));
    return this.#channels({ children: childrenByParent(roster.channels.values()), users }, null);
  }
}

/** One render's view of the roster. */
interface Tree {
  children: Map<number | null, ChannelInfo[]>;
  users: Map<number, UserInfo[]>;
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false;
  for (const v of a) if (!b.has(v)) return false;
  return true;
}

declare global {
  interface GlobalEventHandlersEventMap {
    'voice-channel-activate': CustomEvent<{ channelId: number }>;
    /** `anchor`: where the person's row is, for the menu to open next to it. */
    'voice-user-select': CustomEvent<{ user: UserInfo; anchor: DOMRect }>;
  }
}
