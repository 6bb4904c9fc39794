/**
 * Roles, lowest first. A registered account has one; a guest session is
 * `guest`. Channels name the least role that may join them, admin routes the
 * least role that may call them. Compare through `roleAtLeast`, never by name.
 */
export const ROLES = ['guest', 'member', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function roleAtLeast(role: Role, least: Role): boolean {
  return roleRank(role) >= roleRank(least);
}
