/** One named logger per module; lines go to stderr as `time LEVEL [name] message {json}`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
let threshold = order[(process.env['VOICE_LOG_LEVEL'] as LogLevel | undefined) ?? 'info'] ?? order.info;

export function setLogLevel(level: LogLevel): void {
  threshold = order[level];
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function describe(v: unknown): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack?.split('\n').slice(1, 4).join(' |') };
  return v;
}

export function createLogger(name: string): Logger {
  const write = (level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (order[level] < threshold) return;
    let tail = '';
    if (fields) {
      const clean: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(fields)) clean[k] = describe(v);
      tail = ' ' + JSON.stringify(clean);
    }
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} [${name}] ${msg}${tail}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}
