/**
 * Self mute and deafen, with Mumble's rules: deafening also mutes (no talking
 * into a room you cannot hear), undeafening restores the mute from before, and
 * unmuting while deafened undeafens too.
 */
export class SelfVoice {
  #muted = false;
  #deafened = false;
  #muteBeforeDeaf = false;

  get muted(): boolean {
    return this.#muted;
  }
  get deafened(): boolean {
    return this.#deafened;
  }

  toggleMute(): void {
    if (this.#deafened) this.#deafened = this.#muted = false;
    else this.#muted = !this.#muted;
  }

  toggleDeaf(): void {
    if (this.#deafened) {
      this.#deafened = false;
      this.#muted = this.#muteBeforeDeaf;
    } else {
      this.#muteBeforeDeaf = this.#muted;
      this.#deafened = this.#muted = true;
    }
  }
}
