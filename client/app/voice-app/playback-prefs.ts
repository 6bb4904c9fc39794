/**
 * Applies the remembered per-person volume and local mute (by nickname) to the
 * engine (by session token), and keeps the set of locally muted tokens the
 * tree shows.
 */
import type { UserInfo } from '../../../shared/control/protocol.ts';
import type { AudioEngine } from '../../audio/audio-engine.ts';
import type { VoiceSession } from '../../net/voice-session.ts';
import { DEFAULT_USER_PREFS, loadUserPrefs, type UserPrefs } from '../storage/user-prefs-store.ts';

export class PlaybackPrefs {
  /** Session tokens of the people this user muted locally (a new set on every change). */
  localMuted: ReadonlySet<number> = new Set();

  /** Everyone in the roster but oneself: after welcome, resume, or once the engine runs. */
  applyAll(session: VoiceSession, engine: AudioEngine | null): void {
    this.localMuted = new Set();
    for (const user of session.roster.users.values()) {
      if (user.sessionToken === session.sessionToken) continue;
      const prefs = loadUserPrefs(user.nickname);
      // Defaults need no message: the engine starts everyone at 100 % and unmuted.
      if (prefs.volume !== DEFAULT_USER_PREFS.volume || prefs.muted) this.apply(engine, user, prefs);
    }
  }

  apply(engine: AudioEngine | null, user: UserInfo, prefs: UserPrefs): void {
    engine?.setUserVolume(user.sessionToken, prefs.volume / 100);
    engine?.setUserMuted(user.sessionToken, prefs.muted);
    if (prefs.muted !== this.localMuted.has(user.sessionToken)) {
      const next = new Set(this.localMuted);
      if (prefs.muted) next.add(user.sessionToken);
      else next.delete(user.sessionToken);
      this.localMuted = next;
    }
  }

  clear(): void {
    this.localMuted = new Set();
  }
}
