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
