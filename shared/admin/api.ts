/**
 * The admin API's wire contract (docs/admin-api.md), shared by the server's
 * routes and the admin panel.
 */

/** The longest kick or ban reason the server takes, in UTF-16 code units after trimming. */
export const MAX_REASON_LENGTH = 200;
