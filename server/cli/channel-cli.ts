/**
 * Channel passwords from the shell, for an owner without the admin panel at
 * hand (/admin changes them on a running server and tells clients at once):
 *
 *   npm run channel -- list
 *   npm run channel -- password <channelId> <password>   (or "-" to read it from stdin)
 *   npm run channel -- unlock <channelId>
 *
 * Uses the server's configuration (VOICE_DATA_DIR, VOICE_MIGRATIONS_DIR), brings
 * the schema up to date, and writes the database through ChannelDirectory.update,
 * as the admin API does. A running server reads channels at start-up only, so
 * it applies a change when it restarts; an /admin edit made meanwhile writes
 * only the fields it changes, so it does not undo this one. Exit 0 on
 * success; 1 on an error, with one line on stderr; 2 on bad usage, with the
 * usage after that line.
 */
import { existsSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { MAX_PASSWORD_LENGTH, type ChannelInfo } from '../../shared/control/protocol.ts';
import { loadConfig } from '../config.ts';
import { databaseFile, openDatabase, type Database } from '../db/database.ts';
import { migrateToLatestOrThrow } from '../db/migrate.ts';
import { ChannelDirectory } from '../channels/channel-directory.ts';

const USAGE = `usage: npm run channel -- list
       npm run channel -- password <channelId> <password>   ("-" reads the password from stdin)
       npm run channel -- unlock <channelId>`;

const RESTART_NOTE = 'a running server applies this when it restarts';

/** A failure the user can fix; `usage` ones exit 2 and show the usage. */
class CliError extends Error {
  override name = 'CliError';
  readonly usage: boolean;
  constructor(message: string, usage = false) {
    super(message);
    this.usage = usage;
  }
}

function channelIdArg(raw: string | undefined): number {
  if (raw === undefined) throw new CliError('missing <channelId>', true);
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1) throw new CliError(`channel id must be a whole number ≥ 1, got "${raw}"`);
  return Number(raw);
}

function channelOf(channels: ChannelDirectory, id: number): ChannelInfo {
  const channel = channels.get(id);
  if (!channel) throw new CliError(`no channel with id ${id} (see: npm run channel -- list)`);
  return channel;
}

async function passwordArg(raw: string | undefined): Promise<string> {
  if (raw === undefined) throw new CliError('missing <password>', true);
  // "-": from stdin, so the password stays out of the shell history and the process list.
  const password = raw === '-' ? (await text(process.stdin)).replace(/\r?\n$/, '') : raw;
  if (password.length < 1 || password.length > MAX_PASSWORD_LENGTH) {
    throw new CliError(`a password is 1–${MAX_PASSWORD_LENGTH} characters, got ${password.length}`);
  }
  return password;
}

/** Channels as a tree: siblings by position then id, indented by depth. */
function treeLines(channels: ChannelDirectory): string[] {
  const all = channels.list();
  const children = (parentId: number | null) =>
    all.filter((c) => c.parentId === parentId).sort((a, b) => a.position - b.position || a.id - b.id);
  const lines: string[] = [];
  const walk = (parentId: number | null, depth: number): void => {
    for (const c of children(parentId)) {
      lines.push(`${String(c.id).padStart(4)}  ${'  '.repeat(depth)}${c.name}${c.locked ? '  [locked]' : ''}`);
      walk(c.id, depth + 1);
    }
  };
  walk(null, 0);
  return lines;
}

async function run(args: string[], db: Database): Promise<string[]> {
  const [command, ...rest] = args;
  const channels = await ChannelDirectory.load(db);
  switch (command) {
    case 'list':
      if (rest.length > 0) throw new CliError('list takes no arguments', true);
      return treeLines(channels);
    case 'password': {
      if (rest.length > 2) throw new CliError('too many arguments (quote a password with spaces)', true);
      const channel = channelOf(channels, channelIdArg(rest[0]));
      const password = await passwordArg(rest[1]);
      await channels.update(db, channel.id, { password });
      return [`${channel.name} (${channel.id}) is now locked; ${RESTART_NOTE}`];
    }
    case 'unlock': {
      if (rest.length > 1) throw new CliError('unlock takes one channel id', true);
      const channel = channelOf(channels, channelIdArg(rest[0]));
      if (!channel.locked) return [`${channel.name} (${channel.id}) has no password; nothing changed`];
      await channels.update(db, channel.id, { password: null });
      return [`${channel.name} (${channel.id}) is now open; ${RESTART_NOTE}`];
    }
    case undefined:
      throw new CliError('missing command', true);
    default:
      throw new CliError(`unknown command "${command}"`, true);
  }
}

async function main(args: string[]): Promise<number> {
  let db: Database | null = null;
  try {
    const config = loadConfig();
    // A typo in VOICE_DATA_DIR must not lock a channel in a new, empty database.
    if (!existsSync(databaseFile(config.dataDir))) {
      throw new CliError(`no database in ${config.dataDir} (start the server once, or set VOICE_DATA_DIR)`);
    }
    db = openDatabase(config.dataDir);
    const { applied } = await migrateToLatestOrThrow(db, config.migrationsDir);
    if (applied.length > 0) process.stderr.write(`migrations applied: ${applied.join(', ')}\n`);
    for (const line of await run(args, db)) process.stdout.write(line + '\n');
    return 0;
  } catch (error) {
    const e = error as Error;
    process.stderr.write(`channel: ${e instanceof CliError || e.name === 'Error' ? '' : e.name + ': '}${e.message}\n`);
    if (e instanceof CliError && e.usage) {
      process.stderr.write(USAGE + '\n');
      return 2;
    }
    return 1;
  } finally {
    await db?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
