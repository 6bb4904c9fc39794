/**
 * `npm run release`: the one artefact both deploy paths install
 * (deploy/Dockerfile and deploy/install.sh) — the server compiled to
 * JavaScript, the built client, the production dependencies, the migrations,
 * the Node runtime it was tested on, a VERSION, a release.json, and SHA256SUMS
 * of every file. It starts with plain `node server/main.js` (or `bin/voice-app`)
 * from any directory.
 *
 *   node scripts/release.ts [--out DIR] [--no-client-build]
 *
 * Writes DIR/voice-app-<version>-<platform>-<arch>/ (the staged tree),
 * DIR/<same>.tar.gz and DIR/<same>.tar.gz.sha256 (sha256sum format). The tar
 * is reproducible from the same inputs: sorted names, uid/gid 0, modes
 * normalised to 644/755 whatever the builder's umask left, every mtime set to
 * the commit's time (or SOURCE_DATE_EPOCH), gzip without a timestamp.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Deploy files that describe how to build an image, not what a host runs. */
const DEPLOY_EXCLUDED = /^(Dockerfile.*|compose\.ya?ml)$/;
const MIN_NODE: readonly [number, number] = [22, 18];

export interface ReleaseInfo {
  /** `voice-app-<version>-<platform>-<arch>`: the tarball's top-level directory. */
  readonly name: string;
  readonly version: string;
  /** The staged tree, identical to the tarball's content. */
  readonly dir: string;
  readonly tarball: string;
  /** Hex SHA-256 of the tarball, also written to `<tarball>.sha256`. */
  readonly sha256: string;
}

export interface BuildOptions {
  readonly outDir: string;
  /** Run `vite build` first (default); false uses dist/client as it is. */
  readonly clientBuild?: boolean;
}

interface LockEntry {
  readonly dev?: boolean;
  readonly devOptional?: boolean;
}

function run(cmd: string, args: readonly string[], cwd = REPO): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
}

function gitOutput(args: readonly string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null; // No git (e.g. a Docker build context without .git).
  }
}

function checkRuntime(): void {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    throw new Error(`release: Node ${process.versions.node} is too old to ship; run it with Node ≥ ${MIN_NODE.join('.')} (npm run release uses the project's Node 24)`);
  }
}

/** Production packages from the lockfile that are installed here, minus the Node binary package. */
async function productionPackages(): Promise<string[]> {
  const lock = JSON.parse(await readFile(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  return Object.entries(lock.packages)
    .filter(([key, entry]) => key !== '' && entry.dev !== true && entry.devOptional !== true)
    .map(([key]) => key)
    .filter((key) => !/(^|\/)node_modules\/node-(linux|darwin|win)-[^/]+$/.test(key))
    .filter((key) => existsSync(path.join(REPO, key))) // optional packages for other platforms are absent
    .sort();
}

async function copyPackage(key: string, stage: string): Promise<void> {
  const from = path.join(REPO, key);
  const nested = path.join(from, 'node_modules');
  // Nested node_modules are their own lockfile entries; .bin holds symlinks nothing at run time needs.
  await cp(from, path.join(stage, key), {
    recursive: true,
    filter: (src) => src !== nested && !src.startsWith(nested + path.sep) && path.basename(src) !== '.bin',
  });
}

function launcher(): string {
  return `#!/bin/sh
# Starts the voice-app server of this release with the Node runtime it ships.
# Settings come from VOICE_* environment variables (README.md, Configuration).
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
node="$root/runtime/node"
if [ ! -x "$node" ]; then
  node=$(command -v node) || { echo "voice-app: no Node.js runtime (runtime/node is missing and node is not on PATH)" >&2; exit 1; }
  "$node" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>${MIN_NODE[0]}||(a===${MIN_NODE[0]}&&b>=${MIN_NODE[1]})?0:1)' ||
    { echo "voice-app: Node.js ≥ ${MIN_NODE.join('.')} is needed, $("$node" --version) found at $node" >&2; exit 1; }
fi
exec "$node" "$root/server/main.js" "$@"
`;
}

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Writes SHA256SUMS (every regular file but itself, sorted, `sha256sum -c` format). */
async function writeSums(dir: string): Promise<void> {
  const files = (await filesUnder(dir)).filter((f) => f !== 'SHA256SUMS').sort();
  const lines: string[] = [];
  for (const f of files) lines.push(`${await sha256Of(path.join(dir, f))}  ${f}`);
  await writeFile(path.join(dir, 'SHA256SUMS'), lines.join('\n') + '\n');
}

function sourceDateEpoch(): number {
  const env = process.env['SOURCE_DATE_EPOCH'];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  const commitTime = gitOutput(['log', '-1', '--format=%ct']);
  return commitTime !== null && /^\d+$/.test(commitTime) ? Number(commitTime) : Math.floor(Date.now() / 1000);
}

/**
 * Packs a staged tree as it is: `<outDir>/<basename of dir>.tar.gz` and its
 * `.sha256`. Sorted names, uid/gid 0, modes readable by all and writable by
 * none but the owner (a+rX,go-w: the builder's umask does not show; a root tar
 * extracting it keeps these modes, and the service reads the release as
 * another user),
 * every mtime `epoch`, gzip without a timestamp.
 */
export async function pack(dir: string, outDir: string, epoch = sourceDateEpoch()): Promise<ReleaseInfo> {
  const name = path.basename(dir);
  const version = (await readFile(path.join(dir, 'VERSION'), 'utf8')).trim();
  await mkdir(outDir, { recursive: true });
  const tarball = path.join(outDir, `${name}.tar.gz`);
  const tar = spawn('tar', ['--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner', '--mode=a+rX,go-w', '-C', path.dirname(dir), '-cf', '-', name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`release: tar exited with ${code}`))));
  });
  await Promise.all([pipeline(tar.stdout, createGzip({ level: 6 }), createWriteStream(tarball)), exited]);
  const sha256 = await sha256Of(tarball);
  await writeFile(`${tarball}.sha256`, `${sha256}  ${path.basename(tarball)}\n`);
  return { name, version, dir, tarball, sha256 };
}

/**
 * Rewrites SHA256SUMS and release.json's version (from VERSION) in a staged
 * tree and packs it (pack()).
 */
export async function repack(dir: string, outDir: string): Promise<ReleaseInfo> {
  const version = (await readFile(path.join(dir, 'VERSION'), 'utf8')).trim();
  const metaFile = path.join(dir, 'release.json');
  const meta = JSON.parse(await readFile(metaFile, 'utf8')) as Record<string, unknown>;
  await writeFile(metaFile, JSON.stringify({ ...meta, version }, null, 2) + '\n');
  await writeSums(dir);
  return pack(dir, outDir);
}

export async function buildRelease(options: BuildOptions): Promise<ReleaseInfo> {
  checkRuntime();
  const outDir = path.resolve(options.outDir);
  if (options.clientBuild !== false) run(process.execPath, [path.join(REPO, 'node_modules', 'vite', 'bin', 'vite.js'), 'build']);
  const clientDir = path.join(REPO, 'dist', 'client');
  if (!existsSync(path.join(clientDir, 'index.html'))) throw new Error('release: dist/client is not built (run npm run build, or drop --no-client-build)');

  const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license?: string;
    engines?: Record<string, string>;
    dependencies: Record<string, string>;
  };
  // A Docker build context has no .git; the Dockerfile passes SOURCE_COMMIT instead.
  const given = process.env['SOURCE_COMMIT'] ?? '';
  const commit = gitOutput(['rev-parse', '--short=12', 'HEAD']) ?? (/^[0-9a-f]{7,40}$/.test(given) ? given.slice(0, 12) : null);
  const version = commit === null ? pkg.version : `${pkg.version}+${commit}`;
  const name = `${pkg.name}-${pkg.version}-${process.platform}-${process.arch}`;
  const stage = path.join(outDir, name);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });

  // The server as JavaScript: Node runs it without type stripping, and no .ts ships.
  run(path.join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', path.join(REPO, 'tsconfig.release.json'), '--outDir', stage]);
  await cp(path.join(REPO, 'migrations'), path.join(stage, 'migrations'), { recursive: true });
  await cp(clientDir, path.join(stage, 'dist', 'client'), { recursive: true });
  await cp(path.join(REPO, 'deploy'), path.join(stage, 'deploy'), {
    recursive: true,
    filter: (src) => !DEPLOY_EXCLUDED.test(path.basename(src)),
  });
  for (const key of await productionPackages()) await copyPackage(key, stage);
  await writeFile(
    path.join(stage, 'package.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version, private: true, license: pkg.license, type: 'module', engines: pkg.engines, dependencies: pkg.dependencies }, null, 2) + '\n',
  );

  await mkdir(path.join(stage, 'runtime'));
  await copyFile(process.execPath, path.join(stage, 'runtime', 'node'));
  await chmod(path.join(stage, 'runtime', 'node'), 0o755);
  await mkdir(path.join(stage, 'bin'));
  await writeFile(path.join(stage, 'bin', 'voice-app'), launcher(), { mode: 0o755 });

  await writeFile(path.join(stage, 'VERSION'), version + '\n');
  const epoch = sourceDateEpoch();
  const meta = {
    name: pkg.name,
    version,
    commit,
    platform: process.platform,
    arch: process.arch,
    node: process.versions.node,
    builtAt: new Date(epoch * 1000).toISOString(),
  };
  await writeFile(path.join(stage, 'release.json'), JSON.stringify(meta, null, 2) + '\n');
  await writeSums(stage);
  return pack(stage, outDir, epoch);
}

function parseArgs(argv: readonly string[]): BuildOptions {
  let outDir = path.join(REPO, 'release');
  let clientBuild = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out' && argv[i + 1] !== undefined) outDir = argv[++i]!;
    else if (arg === '--no-client-build') clientBuild = false;
    else throw new Error(`release: unknown argument ${arg} (usage: node scripts/release.ts [--out DIR] [--no-client-build])`);
  }
  return { outDir, clientBuild };
}

if (import.meta.main) {
  try {
    const info = await buildRelease(parseArgs(process.argv.slice(2)));
    process.stdout.write(`${info.tarball}\n${info.sha256}  ${path.basename(info.tarball)}\nversion ${info.version}\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
