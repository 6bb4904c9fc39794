/** The admin API's route table (docs/admin-api.md), in one list so the authz rules read in one place. */
import type { Route } from './route.ts';
import { authRoutes } from './auth-routes.ts';
import { moderationRoutes } from './moderation-routes.ts';
import { channelRoutes } from './channel-routes.ts';
import { userRoutes } from './user-routes.ts';

export const ADMIN_ROUTES: readonly Route[] = [...authRoutes, ...moderationRoutes, ...channelRoutes, ...userRoutes];
