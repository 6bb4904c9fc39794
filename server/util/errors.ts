/** The server's named errors; `TypeError` stays the error for bad arguments. */

/** Start-up configuration is invalid; the process exits with this one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A migration failed; start-up stops before any port opens. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** A bounded queue is full; the work was not started. The caller answers "try again later". */
export class BusyError extends Error {
  override name = 'BusyError';
}

/** A change would break an invariant (a name in use, the last admin, a channel loop). Admin API: 409. */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/**
 * What a call names does not exist (an unknown id). Admin API: 404, or a 400
 * naming `field` when the unknown id came in that body field (a parent, say).
 */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly field: string | undefined;
  constructor(message: string, options: { field?: string } = {}) {
    super(message);
    this.field = options.field;
  }
}
