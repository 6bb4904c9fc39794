/**
 * The channel form's values ↔ the API's fields. Pure, so the "send only what
 * changed" rule for PATCH is tested without a browser.
 */
import type { Channel, ChannelFields, Role } from '../api/types.ts';

/** What the form holds; the bitrate is in kbit/s there, bit/s on the wire. */
export interface ChannelForm {
  name: string;
  parentId: number | null;
  position: number;
  maxUsers: number;
  bitrateKbps: number;
  requiredRole: Role;
  /** keep: leave as it is; set: `password` becomes the password; clear: no password. */
  passwordMode: 'keep' | 'set' | 'clear';
  password: string;
}

export function formFromChannel(c: Channel): ChannelForm {
  return {
    name: c.name,
    parentId: c.parentId,
    position: c.position,
    maxUsers: c.maxUsers,
    bitrateKbps: c.bitrate / 1000,
    requiredRole: c.requiredRole,
    passwordMode: 'keep',
    password: '',
  };
}

/** A new channel's form, with the server's defaults (docs/admin-api.md). */
export function newChannelForm(parentId: number | null): ChannelForm {
  return { name: '', parentId, position: 0, maxUsers: 0, bitrateKbps: 16, requiredRole: 'guest', passwordMode: 'keep', password: '' };
}

function wire(f: ChannelForm): Omit<ChannelFields, 'password'> {
  return {
    name: f.name.trim(),
    parentId: f.parentId,
    position: f.position,
    maxUsers: f.maxUsers,
    bitrate: Math.round(f.bitrateKbps * 1000),
    requiredRole: f.requiredRole,
  };
}

/** POST /api/channels: every field; the password only when one is set. */
export function createFields(f: ChannelForm): Partial<ChannelFields> {
  return f.passwordMode === 'set' ? { ...wire(f), password: f.password } : wire(f);
}

/** PATCH /api/channels/:id: only the fields that differ from `before`, so a root keeps no parent it was never sent. */
export function patchFields(before: Channel, f: ChannelForm): Partial<ChannelFields> {
  const next = wire(f);
  const out: Partial<ChannelFields> = {};
  if (next.name !== before.name) out.name = next.name;
  if (next.parentId !== before.parentId) out.parentId = next.parentId;
  if (next.position !== before.position) out.position = next.position;
  if (next.maxUsers !== before.maxUsers) out.maxUsers = next.maxUsers;
  if (next.bitrate !== before.bitrate) out.bitrate = next.bitrate;
  if (next.requiredRole !== before.requiredRole) out.requiredRole = next.requiredRole;
  if (f.passwordMode === 'set') out.password = f.password;
  if (f.passwordMode === 'clear') out.password = null;
  return out;
}
