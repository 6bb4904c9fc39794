/** The panel's views, their addresses under /admin, and the least role that sees each. */
import { roleAtLeast, type Role } from '../../../shared/auth/roles.ts';

export type ViewId = 'online' | 'bans' | 'channels' | 'users';

export interface View {
  id: ViewId;
  path: string;
  label: string;
  least: Role;
}

export const VIEWS: readonly View[] = [
  { id: 'online', path: '/admin', label: 'Online', least: 'moderator' },
  { id: 'bans', path: '/admin/bans', label: 'Bans', least: 'moderator' },
  { id: 'channels', path: '/admin/channels', label: 'Channels', least: 'admin' },
  { id: 'users', path: '/admin/users', label: 'Users', least: 'admin' },
];

/** The view an address names; anything else under /admin (index.html, a typo) is the online view. */
export function viewAt(pathname: string): ViewId {
  const clean = pathname.replace(/\/+$/, '');
  return VIEWS.find((v) => v.path === clean)?.id ?? 'online';
}

export function viewsFor(role: Role): View[] {
  return VIEWS.filter((v) => roleAtLeast(role, v.least));
}
