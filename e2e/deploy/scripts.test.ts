/**
 * deploy/install.sh and deploy/update.sh, run for real in sandbox roots
 * (VOICEAPP_ROOT) with stand-ins for systemctl, useradd and getent first on
 * PATH (e2e/deploy/standins): the systemctl stand-in starts the installed
 * release's real server from the installed unit, on 127.0.0.1 and a free
 * port. A local server poses as GitHub's Releases API
 * (fake-releases-api.ts). Plus shellcheck, systemd-analyze verify and
 * systemd-analyze security on the units.
 *
 * One release is built per run (scripts/release.ts, client from dist/), and
 * variants of it are packed: 0.2.0 (healthy), 0.3.0 (its server exits 1),
 * 0.4.0 (a file that does not match its SHA256SUMS) and 0.5.0 (its server
 * runs but reports another version).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildRelease, pack, repack, type ReleaseInfo } from '../../scripts/release.ts';
import { waitFor } from '../wait.ts';
import { releaseAssets, startFakeReleasesApi, type FakeReleasesApi } from './fake-releases-api.ts';
import {
  REPO_ROOT,
  STANDINS,
  differences,
  disposeSandbox,
  disposeSandboxes,
  freePort,
  health,
  makeSandbox,
  run,
  said,
  scriptEnv,
  servicePid,
  sessionProcesses,
  snapshot,
  systemctlCalls,
  type RunResult,
  type Sandbox,
} from './sandbox.ts';

const execFileP = promisify(execFile);
const INSTALL = path.join(REPO_ROOT, 'deploy', 'install.sh');
const UNIT_SOURCES = path.join(REPO_ROOT, 'deploy', 'systemd');
const UNITS = ['voice_app.service', 'voice_app-update.service', 'voice_app-update.timer'];
const GH_REPO = 'example/voice-app';
/** Calls that change a service's state or systemd's configuration. */
const CHANGING = /^(start|stop|restart|daemon-reload|enable|disable|reload)\b/;

let work = '';
let v1: ReleaseInfo;
let v2: ReleaseInfo;
let v3: ReleaseInfo;
let bad: ReleaseInfo;
let impostor: ReleaseInfo;

interface VariantSpec {
  /** The version in the name and in VERSION (left as the base's when absent). */
  readonly version?: string;
  /** The name's version part when it differs from `version`. */
  readonly label?: string;
  /** Changes the tree. It shares the base's inodes: replace a file (rm, then write), never write through it. */
  readonly edit?: (dir: string) => Promise<void>;
  /** false: pack the tree as edited, SHA256SUMS and release.json as the base had them (default true: rewritten). */
  readonly manifest?: boolean;
}

/**
 * The variants of `base`, each a tree of hard links to its files (VERSION,
 * release.json and SHA256SUMS own copies), then packed with scripts/release.ts.
 * The trees are made one after another and only then packed, in parallel:
 * making or removing a hard link changes the shared inode's ctime, and a tar
 * reading that file meanwhile fails ("file changed as we read it").
 */
async function variants<const T extends readonly VariantSpec[]>(base: ReleaseInfo, specs: T): Promise<{ -readonly [K in keyof T]: ReleaseInfo }> {
  const trees: Array<{ dir: string; outDir: string; manifest: boolean }> = [];
  for (const spec of specs) {
    const name = base.name.replace(/^voice-app-[^-]+/, `voice-app-${spec.label ?? spec.version}`);
    const outDir = path.join(work, name + '.out');
    const dir = path.join(outDir, name);
    await mkdir(outDir);
    await execFileP('cp', ['-al', base.dir, dir]);
    for (const file of ['VERSION', 'release.json', 'SHA256SUMS']) {
      await rm(path.join(dir, file));
      await copyFile(path.join(base.dir, file), path.join(dir, file));
    }
    if (spec.version !== undefined) await writeFile(path.join(dir, 'VERSION'), spec.version + '\n');
    await spec.edit?.(dir);
    trees.push({ dir, outDir, manifest: spec.manifest !== false });
  }
  const packed = await Promise.all(trees.map((t) => (t.manifest ? repack(t.dir, t.outDir) : pack(t.dir, t.outDir))));
  return packed as { -readonly [K in keyof T]: ReleaseInfo };
}

/** Replaces a file of a variant's tree (a new inode: the old one is shared with the base). */
async function replaceFile(file: string, content: string): Promise<void> {
  await rm(file);
  await writeFile(file, content);
}

before(
  async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'voice-deploy-releases-'));
    if (!existsSync(path.join(REPO_ROOT, 'dist', 'client', 'index.html'))) throw new Error('dist/client is not built: run npm run build first');
    v1 = await buildRelease({ outDir: path.join(work, 'v1'), clientBuild: false });
    [v2, v3, bad, impostor] = await variants(v1, [
      { version: '0.2.0' },
      {
        version: '0.3.0',
        edit: (dir) => replaceFile(path.join(dir, 'server', 'main.js'), "process.stderr.write('voice-app: this test release is broken on purpose\\n');\nprocess.exit(1);\n"),
      },
      // Tarball and .sha256 agree, but server/healthcheck.js changed after SHA256SUMS was written.
      {
        label: '0.4.0',
        manifest: false,
        edit: async (dir) => {
          const file = path.join(dir, 'server', 'healthcheck.js');
          await replaceFile(file, (await readFile(file, 'utf8')) + '\n// changed after SHA256SUMS was written\n');
        },
      },
      // Starts and keeps running, but /health reports another version: only the timeout ends the wait.
      { version: '0.5.0', edit: (dir) => replaceFile(path.join(dir, 'server', 'version.js'), "export const SERVER_VERSION = '0.0.0-impostor';\n") },
    ]);
  },
  { timeout: 240_000 },
);

after(async () => {
  await disposeSandboxes();
  if (work !== '') await rm(work, { recursive: true, force: true });
});

const opt = (sb: Sandbox, ...p: string[]): string => path.join(sb.root, 'opt', 'voice_app', ...p);
/** The directory a release unpacks to under releases/: its name and the start of its tarball's hash. */
const installed = (r: ReleaseInfo): string => `${r.name}-${r.sha256.slice(0, 12)}`;

async function install(sb: Sandbox, args: readonly string[], extraEnv: Record<string, string> = {}, pathFirst: readonly string[] = []): Promise<RunResult> {
  return run(INSTALL, args, scriptEnv(sb, extraEnv, pathFirst));
}

/** update.sh as the timer runs it: the installed release's copy. */
async function update(sb: Sandbox, extraEnv: Record<string, string> = {}): Promise<RunResult> {
  return run(opt(sb, 'current', 'deploy', 'update.sh'), [], scriptEnv(sb, extraEnv));
}

async function modeOwner(file: string): Promise<string> {
  const st = await stat(file);
  return `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
}

async function assertHealthy(sb: Sandbox, release: ReleaseInfo, base = sb.url): Promise<void> {
  const h = await health(base);
  assert.equal(h.status, 200);
  assert.equal(h.body.ok, true);
  assert.equal(h.body.version, release.version);
  // The process that answers runs the installed copy of that release.
  const pid = await servicePid(sb);
  assert.ok(pid !== null, 'the systemctl stand-in has a running service');
  const node = opt(sb, 'releases', installed(release), 'runtime', 'node');
  const procs = await sessionProcesses(pid);
  const serving = procs.find((p) => p.exe === node);
  assert.ok(serving !== undefined, `serving node is the installed ${installed(release)}'s: ${JSON.stringify(procs)}`);
  // As the unit's User=voiceapp (the useradd stand-in's uid), never root.
  const voiceapp = (await readFile(path.join(sb.state, 'passwd'), 'utf8')).split('\n').find((l) => l.startsWith('voiceapp:'))!;
  assert.equal(serving.uid, Number(voiceapp.split(':')[2]), 'the server runs as voiceapp');
}

async function assertTmpEmpty(sb: Sandbox): Promise<void> {
  assert.deepEqual(await readdir(sb.tmp), [], 'the scripts leave no temporary files behind');
  if (existsSync(opt(sb, '.tmp'))) assert.deepEqual(await readdir(opt(sb, '.tmp')), [], 'the scratch directory is empty');
}

describe('install.sh from a tarball', () => {
  let sb: Sandbox;
  let first: RunResult;

  before(async () => {
    sb = await makeSandbox();
    first = await install(sb, ['--port', String(sb.port), '--host', '127.0.0.1', v1.tarball]);
  });
  after(async () => disposeSandbox(sb));

  it('installs the release, the user, the settings and the units, and starts the service', async () => {
    assert.equal(first.code, 0, said(first));

    // The release, unpacked and recorded with its tarball's hash, current pointing at it.
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v1)}`);
    assert.equal(await readFile(opt(sb, 'releases', `${installed(v1)}.sha256`), 'utf8'), `${v1.sha256}  ${path.basename(v1.tarball)}\n`);
    assert.equal((await readFile(opt(sb, 'releases', installed(v1), 'VERSION'), 'utf8')).trim(), v1.version);
    assert.equal(existsSync(opt(sb, 'previous')), false, 'no previous release on a first install');
    assert.equal(await modeOwner(opt(sb)), '755 0:0');

    // The system user: no login shell, home = data directory, not created.
    const useradd = (await readFile(path.join(sb.state, 'useradd.log'), 'utf8')).trim().split('\n');
    assert.equal(useradd.length, 1);
    for (const part of ['--system', '--user-group', '--home-dir /var/lib/voice_app', '--no-create-home', '--shell /usr/sbin/nologin']) assert.ok(useradd[0]!.includes(part), `useradd ${useradd[0]} has ${part}`);
    assert.match(useradd[0]!, / voiceapp$/);
    const [uid, gid] = (await readFile(path.join(sb.state, 'passwd'), 'utf8')).split(':').slice(2, 4);

    assert.equal(await modeOwner(path.join(sb.root, 'var', 'lib', 'voice_app')), `750 ${uid}:${gid}`);
    assert.equal(await modeOwner(path.join(sb.root, 'etc', 'voice_app')), `750 0:${gid}`);
    const envFile = path.join(sb.root, 'etc', 'voice_app', 'voice_app.env');
    assert.equal(await modeOwner(envFile), `640 0:${gid}`);
    const env = await readFile(envFile, 'utf8');
    assert.match(env, new RegExp(`^VOICE_PORT=${sb.port}$`, 'm'));
    assert.match(env, /^VOICE_HOST=127\.0\.0\.1$/m);
    for (const name of ['VOICE_RTC_ANNOUNCED_ADDRESS', 'VOICE_RTC_PORT_MIN', 'VOICE_RTC_PORT_MAX', 'VOICE_SERVER_NAME']) assert.match(env, new RegExp(`^#?${name}=`, 'm'));
    assert.doesNotMatch(env, /^VOICEAPP_/m, 'deploy settings never go to the server (it refuses unknown VOICE_* only, but keep them apart)');
    assert.equal(await modeOwner(path.join(sb.root, 'etc', 'voice_app', 'update.env')), '600 0:0');

    // The units, byte for byte; the service enabled, the update timer installed but off.
    for (const unit of UNITS) {
      const installed = path.join(sb.root, 'etc', 'systemd', 'system', unit);
      assert.equal(await readFile(installed, 'utf8'), await readFile(path.join(UNIT_SOURCES, unit), 'utf8'), unit);
      assert.equal(await modeOwner(installed), '644 0:0');
    }
    assert.ok(existsSync(path.join(sb.state, 'enabled', 'voice_app.service')), 'voice_app.service enabled');
    assert.equal(existsSync(path.join(sb.state, 'enabled', 'voice_app-update.timer')), false, 'update timer not enabled');
    const calls = await systemctlCalls(sb);
    assert.ok(calls.includes('daemon-reload'), calls.join('\n'));
    assert.ok(calls.includes('enable voice_app.service'), calls.join('\n'));
    assert.ok(calls.indexOf('daemon-reload') < calls.indexOf('restart voice_app.service'), 'units loaded before the start');
    assert.equal(calls.filter((c) => c.includes('voice_app-update') && CHANGING.test(c)).length, 0, calls.join('\n'));

    await assertHealthy(sb, v1);
    assert.match(first.stdout, new RegExp(`http://127\\.0\\.0\\.1:${sb.port}/`));
    assert.match(first.stdout, /journalctl -u voice_app/);
    assert.match(first.stdout, /systemctl enable --now voice_app-update\.timer/);
    await assertTmpEmpty(sb);
  });

  it('changes nothing when run again (no file written, no restart, no daemon-reload)', async () => {
    assert.equal(first.code, 0, said(first));
    const before = await snapshot(sb.root);
    const pid = await servicePid(sb);
    const from = (await systemctlCalls(sb)).length;

    const again = await install(sb, ['--port', String(sb.port), '--host', '127.0.0.1', v1.tarball]);
    assert.equal(again.code, 0, said(again));
    assert.deepEqual(differences(before, await snapshot(sb.root)), []);
    const calls = await systemctlCalls(sb, from);
    assert.deepEqual(calls.filter((c) => CHANGING.test(c)), [], calls.join('\n'));
    assert.equal(await servicePid(sb), pid, 'the same server process');
    await assertHealthy(sb, v1);

    // Other --port/--host do not overwrite the existing settings file: they are reported and ignored.
    const other = await install(sb, ['--port', String(sb.port + 1), v1.tarball]);
    assert.equal(other.code, 0, said(other));
    assert.match(other.stderr, /--port \d+ ignored: \/etc\/voice_app\/voice_app\.env exists/);
    assert.deepEqual(differences(before, await snapshot(sb.root)), []);
    assert.equal(await servicePid(sb), pid);
    await assertTmpEmpty(sb);
  });

  it('--enable-updates turns the daily timer on (once)', async () => {
    const r = await install(sb, ['--enable-updates', v1.tarball]);
    assert.equal(r.code, 0, said(r));
    assert.ok(existsSync(path.join(sb.state, 'enabled', 'voice_app-update.timer')));
    assert.ok(existsSync(path.join(sb.state, 'active', 'voice_app-update.timer')));
    assert.match(r.stderr, /no repository to update from/, 'warns that update.env has no VOICEAPP_REPO');
    const from = (await systemctlCalls(sb)).length;
    const again = await install(sb, ['--enable-updates', v1.tarball]);
    assert.equal(again.code, 0, said(again));
    assert.deepEqual((await systemctlCalls(sb, from)).filter((c) => CHANGING.test(c)), []);
  });
});

describe('the health check asks where systemd starts the server', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await makeSandbox();
  });
  after(async () => disposeSandbox(sb));

  it('follows a drop-in that moves VOICE_PORT (through another EnvironmentFile=, or Environment= alone), instead of rolling a healthy release back', async () => {
    const first = await install(sb, ['--port', String(sb.port), '--host', '127.0.0.1', v1.tarball]);
    assert.equal(first.code, 0, said(first));
    const [p2, p3] = [await freePort(), await freePort()];
    const dropIns = path.join(sb.root, 'etc', 'systemd', 'system', 'voice_app.service.d');
    const localEnv = path.join(sb.root, 'etc', 'voice_app', 'local.env');
    const envFile = path.join(sb.root, 'etc', 'voice_app', 'voice_app.env');
    // What `systemctl edit voice_app` leaves: a drop-in, loaded by daemon-reload.
    const dropIn = async (text: string): Promise<void> => {
      await mkdir(dropIns, { recursive: true });
      await writeFile(path.join(dropIns, 'override.conf'), text);
      const reload = await run(path.join(STANDINS, 'systemctl'), ['daemon-reload'], scriptEnv(sb));
      assert.equal(reload.code, 0, said(reload));
    };

    // Environment files override Environment= (systemd.exec), a later file an earlier one: p2.
    await dropIn(`[Service]\nEnvironment=VOICE_PORT=${p3}\nEnvironmentFile=/etc/voice_app/local.env\n`);
    await writeFile(localEnv, `VOICE_PORT=${p2}\n`);
    const moved = await install(sb, [v2.tarball], { VOICEAPP_HEALTH_TIMEOUT: '10' });
    assert.equal(moved.code, 0, said(moved));
    assert.match(moved.stdout, new RegExp(`answer as ${v2.version.replace(/\+/g, '\\+')} on 127\\.0\\.0\\.1:${p2} `));
    assert.match(moved.stdout, new RegExp(`Open: +http://127\\.0\\.0\\.1:${p2}/`));
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    await assertHealthy(sb, v2, `http://127.0.0.1:${p2}`);

    // No VOICE_PORT in any environment file: the drop-in's Environment= decides: p3.
    await rm(localEnv);
    await writeFile(envFile, (await readFile(envFile, 'utf8')).replace(/^VOICE_PORT=/m, '#VOICE_PORT='));
    await dropIn(`[Service]\nEnvironment=VOICE_PORT=${p3}\n`);
    const back = await install(sb, [v1.tarball], { VOICEAPP_HEALTH_TIMEOUT: '10' });
    assert.equal(back.code, 0, said(back));
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v1)}`);
    await assertHealthy(sb, v1, `http://127.0.0.1:${p3}`);
    await assertTmpEmpty(sb);
  });
});

describe('install.sh refuses', () => {
  let sb: Sandbox;
  afterEach(async () => disposeSandbox(sb));

  async function assertNothingWritten(r: RunResult, before: Map<string, unknown>): Promise<void> {
    assert.deepEqual([...(await snapshot(sb.root)).keys()], [...before.keys()], 'no file created under the root');
    assert.equal(existsSync(path.join(sb.state, 'useradd.log')), false, 'no user created');
    assert.deepEqual((await systemctlCalls(sb)).filter((c) => c !== '--version'), [], 'systemctl only asked for its version');
    assert.deepEqual(await readdir(sb.tmp), []);
    assert.notEqual(r.code, 0);
  }

  it('without systemd as PID 1 (no /run/systemd/system), pointing to Docker', async () => {
    sb = await makeSandbox({ systemd: false });
    const before = await snapshot(sb.root);
    const r = await install(sb, ['--port', String(sb.port), v1.tarball]);
    assert.notEqual(r.code, 0, said(r));
    assert.match(r.stderr, /systemd is not running as PID 1 .*needs systemd.*Docker image/);
    await assertNothingWritten(r, before);
  });

  it('when systemctl does not work', async () => {
    sb = await makeSandbox();
    const broken = path.join(sb.dir, 'broken-systemctl');
    await mkdir(broken);
    await writeFile(path.join(broken, 'systemctl'), '#!/bin/sh\necho "System has not been booted with systemd as init system (PID 1). Can\'t operate." >&2\nexit 1\n', { mode: 0o755 });
    const before = await snapshot(sb.root);
    const r = await install(sb, [v1.tarball], {}, [broken]);
    assert.match(r.stderr, /systemctl does not work here: this installer needs systemd.*Docker image/);
    await assertNothingWritten(r, before);
  });

  it('when not run as root (install.sh and update.sh)', async () => {
    sb = await makeSandbox();
    const before = await snapshot(sb.root);
    const nonroot = path.join(STANDINS, 'nonroot');
    for (const script of [INSTALL, path.join(REPO_ROOT, 'deploy', 'update.sh')]) {
      const r = await run(script, script === INSTALL ? [v1.tarball] : [], scriptEnv(sb, {}, [nonroot]));
      assert.match(r.stderr, /must be run as root/, said(r));
      await assertNothingWritten(r, before);
    }
  });

  for (const c of [
    { what: 'does not match', sums: () => `${v2.sha256}  ${path.basename(v1.tarball)}\n`, message: /checksum mismatch: .*\.sha256 says [0-9a-f]{64}, the file's is [0-9a-f]{64}; nothing installed/ },
    { what: 'holds no sum', sums: () => '', message: /\.tar\.gz\.sha256 does not hold a SHA-256 sum/ },
    { what: 'holds something else', sums: () => `<html>Not Found</html>\n`, message: /\.tar\.gz\.sha256 does not hold a SHA-256 sum/ },
    { what: 'is the sum of another file (with the right digits)', sums: () => `${v1.sha256}  voice-app-9.9.9-linux-x64.tar.gz\n`, message: /\.sha256 is the sum of voice-app-9\.9\.9-linux-x64\.tar\.gz, not of voice-app-/ },
  ]) {
    it(`a tarball whose .sha256 ${c.what}`, async () => {
      sb = await makeSandbox();
      const dir = path.join(sb.dir, 'bad');
      await mkdir(dir);
      const tarball = path.join(dir, path.basename(v1.tarball));
      await execFileP('ln', ['-s', v1.tarball, tarball]);
      await writeFile(`${tarball}.sha256`, c.sums());
      const before = await snapshot(sb.root);
      const r = await install(sb, ['--port', String(sb.port), tarball]);
      assert.match(r.stderr, c.message, said(r));
      await assertNothingWritten(r, before);
    });
  }
});

describe('install.sh checks the files inside', () => {
  let sb: Sandbox;
  after(async () => disposeSandbox(sb));

  it('refuses a release whose files do not match its SHA256SUMS, installing nothing', async () => {
    sb = await makeSandbox();
    const r = await install(sb, ['--port', String(sb.port), '--host', '127.0.0.1', bad.tarball]);
    assert.notEqual(r.code, 0, said(r));
    assert.match(r.stderr, /healthcheck\.js: FAILED/);
    assert.match(r.stderr, /files do not match its SHA256SUMS/);
    assert.equal(existsSync(path.join(sb.state, 'useradd.log')), false, 'no user created');
    assert.equal(existsSync(path.join(sb.root, 'var', 'lib', 'voice_app')), false, 'no data directory');
    assert.equal(existsSync(path.join(sb.root, 'etc', 'voice_app')), false, 'no settings');
    assert.equal(existsSync(opt(sb, 'current')), false);
    assert.deepEqual(await readdir(opt(sb, 'releases')), []);
    assert.equal(existsSync(path.join(sb.root, 'etc', 'systemd', 'system', 'voice_app.service')), false);
    assert.deepEqual((await systemctlCalls(sb)).filter((c) => CHANGING.test(c)), []);
    await assertTmpEmpty(sb);
  });
});

/** A tarball's file name, as the fake Releases API serves it. */
const tar = (r: ReleaseInfo): string => path.basename(r.tarball);

/** install.sh/update.sh arguments for this sandbox and fake Releases API (and a tarball to install from, if any). */
const installArgs = (sb: Sandbox, api: FakeReleasesApi, tarball?: string): string[] =>
  ['--port', String(sb.port), '--host', '127.0.0.1', '--repo', GH_REPO, '--api', api.url, ...(tarball === undefined ? [] : [tarball])];

/** In a describe: a fresh sandbox and fake Releases API before its tests (handed to `set`), both disposed after them. */
function withSandboxAndApi(set: (sb: Sandbox, api: FakeReleasesApi) => void): void {
  let sb: Sandbox | undefined;
  let api: FakeReleasesApi | undefined;
  before(async () => {
    sb = await makeSandbox();
    api = await startFakeReleasesApi(GH_REPO);
    set(sb, api);
  });
  after(async () => {
    if (sb) await disposeSandbox(sb);
    await api?.close();
  });
}

describe('update.sh', () => {
  let sb: Sandbox;
  let api: FakeReleasesApi;
  let firstInstall: RunResult;
  const scratchIgnored = (diffs: string[]): string[] => diffs.filter((d) => !d.startsWith('opt/voice_app/.tmp: '));

  withSandboxAndApi((s, a) => ((sb = s), (api = a)));
  before(async () => {
    firstInstall = await install(sb, installArgs(sb, api, v1.tarball));
  });

  it('reads its settings from update.env and is a no-op when the latest release is installed', async () => {
    assert.equal(firstInstall.code, 0, said(firstInstall));
    const updateEnv = await readFile(path.join(sb.root, 'etc', 'voice_app', 'update.env'), 'utf8');
    assert.match(updateEnv, new RegExp(`^VOICEAPP_REPO=${GH_REPO}$`, 'm'));
    assert.match(updateEnv, new RegExp(`^VOICEAPP_API=${api.url}$`, 'm'));

    api.setLatest({ tag: 'v0.1.0', assets: releaseAssets(v1) });
    const before = await snapshot(sb.root);
    const from = (await systemctlCalls(sb)).length;
    const r = await update(sb);
    assert.equal(r.code, 0, said(r));
    assert.match(r.stdout, /up to date/);
    assert.equal(api.downloads(tar(v1)), 0, 'the tarball is not downloaded');
    assert.deepEqual(differences(before, await snapshot(sb.root)), []);
    assert.deepEqual((await systemctlCalls(sb, from)).filter((c) => CHANGING.test(c)), []);
    const asked = api.requests.filter((q) => q.path === `/repos/${GH_REPO}/releases/latest`);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.headers['accept'], 'application/vnd.github+json');
    assert.equal(asked[0]!.headers['authorization'], undefined);
    await assertTmpEmpty(sb);
  });

  for (const c of [
    { what: 'a .sha256 asset that does not match the download', release: () => v2, assets: () => releaseAssets(v2, { digest: null, sha256File: `${v3.sha256}  ${tar(v2)}\n` }), downloads: 1, message: /checksum mismatch for .*expected .*got .*nothing changed/ },
    { what: 'a digest that does not match the download (no .sha256 asset)', release: () => v2, assets: () => releaseAssets(v2, { sha256File: null, digest: `sha256:${v3.sha256}` }), downloads: 1, message: /checksum mismatch/ },
    { what: 'a digest that disagrees with the .sha256 asset (refused before downloading)', release: () => v2, assets: () => releaseAssets(v2, { digest: `sha256:${v3.sha256}` }), downloads: 0, message: /disagrees with itself/ },
    { what: 'a release whose files do not match its SHA256SUMS', release: () => bad, assets: () => releaseAssets(bad), downloads: 1, message: /files do not match its SHA256SUMS/ },
  ]) {
    it(`refuses ${c.what}; nothing changes`, async () => {
      assert.equal(firstInstall.code, 0, said(firstInstall));
      api.setLatest({ tag: `v${c.release().version}`, assets: c.assets() });
      const before = await snapshot(sb.root);
      const pid = await servicePid(sb);
      const from = (await systemctlCalls(sb)).length;
      const downloaded = api.downloads(tar(c.release()));
      const r = await update(sb);
      assert.notEqual(r.code, 0, said(r));
      assert.match(r.stderr, c.message);
      assert.equal(api.downloads(tar(c.release())) - downloaded, c.downloads);
      // Only the scratch directory's own mtime may move (the download was made and removed in it).
      assert.deepEqual(scratchIgnored(differences(before, await snapshot(sb.root))), []);
      assert.deepEqual((await systemctlCalls(sb, from)).filter((call) => CHANGING.test(call)), []);
      assert.equal(await servicePid(sb), pid);
      await assertHealthy(sb, v1);
      await assertTmpEmpty(sb);
    });
  }

  it('updates to a newer release: verified, swapped in, restarted, healthy; the previous one kept, older ones removed', async () => {
    assert.equal(firstInstall.code, 0, said(firstInstall));
    // A release older than the previous one, left from before: the update prunes it.
    const stale = opt(sb, 'releases', 'voice-app-0.0.9-linux-x64');
    await cp(path.join(v1.dir, 'bin'), path.join(stale, 'bin'), { recursive: true });
    await writeFile(`${stale}.sha256`, `${'0'.repeat(64)}  voice-app-0.0.9-linux-x64.tar.gz\n`);
    const db = await stat(path.join(sb.root, 'var', 'lib', 'voice_app', 'voice-app.sqlite'));

    api.setLatest({ tag: 'v0.2.0', assets: releaseAssets(v2) });
    const from = (await systemctlCalls(sb)).length;
    const r = await update(sb, { GITHUB_TOKEN: 'test-token' });
    assert.equal(r.code, 0, said(r));
    assert.match(r.stdout, /updated to voice-app-0\.2\.0/);

    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    assert.deepEqual((await readdir(opt(sb, 'releases'))).sort(), [installed(v1), `${installed(v1)}.sha256`, installed(v2), `${installed(v2)}.sha256`].sort());
    assert.equal(await readFile(opt(sb, 'releases', `${installed(v2)}.sha256`), 'utf8'), `${v2.sha256}  ${tar(v2)}\n`);
    assert.ok((await systemctlCalls(sb, from)).includes('restart voice_app.service'));
    await assertHealthy(sb, v2);
    assert.equal((await stat(path.join(sb.root, 'var', 'lib', 'voice_app', 'voice-app.sqlite'))).ino, db.ino, 'the data stays');

    // The token goes to the API only, never to the download host.
    const latest = api.requests.filter((q) => q.path.endsWith('/releases/latest')).at(-1)!;
    assert.equal(latest.headers['authorization'], 'Bearer test-token');
    assert.ok(api.requests.filter((q) => q.path.startsWith('/download/')).every((q) => q.headers['authorization'] === undefined));
    await assertTmpEmpty(sb);
  });

  it('rolls back when the new release does not become healthy, and does not retry it', async () => {
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`, 'runs after the update to 0.2.0');
    api.setLatest({ tag: 'v0.3.0', assets: releaseAssets(v3) });
    const from = (await systemctlCalls(sb)).length;
    const r = await update(sb);
    assert.notEqual(r.code, 0, said(r));
    assert.match(r.stderr, new RegExp(`${installed(v3)} is not healthy.*rolling back to ${installed(v2)}`));
    assert.match(r.stderr, new RegExp(`rolled back to ${installed(v2)}`));

    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    assert.equal(existsSync(opt(sb, 'releases', installed(v3))), false, 'the failed release is removed');
    assert.equal(existsSync(opt(sb, 'releases', `${installed(v3)}.sha256`)), false);
    assert.equal((await systemctlCalls(sb, from)).filter((c) => c === 'restart voice_app.service').length, 2, 'restarted onto 0.3.0, then back');
    assert.match(await readFile(path.join(sb.state, 'voice_app.service.log'), 'utf8'), /broken on purpose/, 'the broken release did run');
    await assertHealthy(sb, v2);
    assert.match(await readFile(opt(sb, 'failed-release'), 'utf8'), new RegExp(`^${v3.sha256}  ${installed(v3)} `));

    // The next daily run does not download it again.
    const downloads = api.downloads(tar(v3));
    const before = await snapshot(sb.root);
    const again = await update(sb);
    assert.notEqual(again.code, 0, said(again));
    assert.match(again.stderr, /failed its health check here before/);
    assert.equal(api.downloads(tar(v3)), downloads);
    assert.deepEqual(differences(before, await snapshot(sb.root)), []);
    await assertTmpEmpty(sb);
  });

  it('goes back to the previous release without downloading it when that is the latest again', async () => {
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`, 'runs after the update to 0.2.0');
    api.setLatest({ tag: 'v0.1.0', assets: releaseAssets(v1) });
    const r = await update(sb);
    assert.equal(r.code, 0, said(r));
    assert.equal(api.downloads(tar(v1)), 0);
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v1)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v2)}`);
    await assertHealthy(sb, v1);
    assert.equal(existsSync(opt(sb, 'failed-release')), true, 'a different release failed; its record stays');
  });

  it('does not run while another install.sh or update.sh holds the lock', async () => {
    // flock holds the lock for its child (sleep): both go, as one process group.
    const holder = spawn('flock', ['-n', opt(sb, '.lock'), 'sleep', '60'], { detached: true, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(holder.exitCode, null, 'the lock holder runs');
      const r = await update(sb);
      assert.notEqual(r.code, 0, said(r));
      assert.match(r.stderr, /another install\.sh or update\.sh is running/);
    } finally {
      process.kill(-holder.pid!, 'SIGKILL');
    }
    for (let i = 0; i < 50 && (await run('flock', ['-n', opt(sb, '.lock'), 'true'], { PATH: '/usr/bin:/bin' })).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const free = await update(sb);
    assert.equal(free.code, 0, said(free));
    assert.match(free.stdout, /up to date/);
  });
});

describe('health failures: the timeout, a server answering another version, failed restarts', () => {
  let sb: Sandbox;
  let api: FakeReleasesApi;
  const quick = { VOICEAPP_HEALTH_TIMEOUT: '3' };
  const noPrevious = async (): Promise<void> => assert.equal(await lstat(opt(sb, 'previous')).catch(() => null), null, 'no previous link');
  /** Words "ok"/"fail" for the systemctl stand-in: how its next starts of voice_app.service go. */
  const nextStarts = (plan: string): Promise<void> => writeFile(path.join(sb.state, 'voice_app.service.starts'), plan + '\n');

  withSandboxAndApi((s, a) => ((sb = s), (api = a)));

  it('install.sh: a first install that does not become healthy fails after VOICEAPP_HEALTH_TIMEOUT, saying why (nothing to roll back to)', async () => {
    const r = await install(sb, installArgs(sb, api, impostor.tarball), quick);
    assert.notEqual(r.code, 0, said(r));
    assert.match(
      r.stderr,
      new RegExp(`voice_app\\.service is not healthy: no healthy answer within 3 s \\(unhealthy: http://127\\.0\\.0\\.1:${sb.port}/health answered version "0\\.0\\.0-impostor", expected "0\\.5\\.0"\\)`),
      said(r),
    );
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(impostor)}`);
    assert.equal((await health(sb.url)).body.version, '0.0.0-impostor', 'it runs, answering another version');
  });

  it('update.sh back to the previous release, which does not become healthy: rolled back, and previous is not left pointing at the removed release', async () => {
    const good = await install(sb, [v1.tarball], quick);
    assert.equal(good.code, 0, said(good));
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(impostor)}`);

    api.setLatest({ tag: 'v0.5.0', assets: releaseAssets(impostor) });
    const r = await update(sb, quick);
    assert.notEqual(r.code, 0, said(r));
    assert.match(r.stdout, /switching back/);
    assert.match(r.stderr, new RegExp(`${installed(impostor)} is not healthy: no healthy answer within 3 s .*answered version "0\\.0\\.0-impostor".*rolling back to ${installed(v1)}`));
    assert.match(r.stderr, new RegExp(`rolled back to ${installed(v1)}: ${installed(impostor)} did not become healthy`));
    assert.equal(api.downloads(tar(impostor)), 0);
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v1)}`);
    assert.equal(existsSync(opt(sb, 'releases', installed(impostor))), false, 'the failed release is removed');
    await noPrevious();
    assert.match(await readFile(opt(sb, 'failed-release'), 'utf8'), new RegExp(`^${impostor.sha256}  ${installed(impostor)} `));
    await assertHealthy(sb, v1);
    await assertTmpEmpty(sb);
  });

  it('install.sh with a newer tarball that does not become healthy rolls back to the release that ran', async () => {
    const up = await install(sb, [v2.tarball], quick);
    assert.equal(up.code, 0, said(up));
    const r = await install(sb, [impostor.tarball], quick);
    assert.notEqual(r.code, 0, said(r));
    assert.match(r.stderr, new RegExp(`${installed(impostor)} is not healthy: no healthy answer within 3 s .*rolling back to ${installed(v2)}`));
    assert.match(r.stderr, new RegExp(`rolled back to ${installed(v2)}: ${installed(impostor)} did not become healthy`));
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    assert.equal(existsSync(opt(sb, 'releases', installed(impostor))), false);
    await assertHealthy(sb, v2);
    await assertTmpEmpty(sb);
  });

  it('a restart that fails (the start job fails) is rolled back too, not left switched', async () => {
    await nextStarts('fail');
    const r = await install(sb, [v3.tarball], quick);
    assert.notEqual(r.code, 0, said(r));
    assert.match(r.stderr, /systemctl restart voice_app\.service failed/);
    assert.match(r.stderr, new RegExp(`${installed(v3)} is not healthy: voice_app\\.service failed .*rolling back to ${installed(v2)}`));
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    assert.equal(existsSync(opt(sb, 'releases', installed(v3))), false);
    assert.match(await readFile(opt(sb, 'failed-release'), 'utf8'), new RegExp(`^${v3.sha256}  ${installed(v3)} `));
    await assertHealthy(sb, v2);
  });

  it('a rollback whose restart fails still records the failed release, removes it and says so', async () => {
    // The restart onto 0.3.0 works (its server exits at once); the one back to 0.2.0 fails.
    await rm(opt(sb, 'failed-release'));
    await nextStarts('ok fail');
    const r = await install(sb, [v3.tarball], quick);
    assert.notEqual(r.code, 0, said(r));
    assert.match(r.stderr, new RegExp(`rolling back to ${installed(v2)}`));
    assert.match(r.stderr, new RegExp(`rolled back to ${installed(v2)}, but it is not healthy either: voice_app\\.service failed`));
    assert.match(await readFile(opt(sb, 'failed-release'), 'utf8'), new RegExp(`^${v3.sha256}  ${installed(v3)} `));
    assert.equal(existsSync(opt(sb, 'releases', installed(v3))), false, 'the failed release is removed');
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    await assertTmpEmpty(sb);
    // What the admin then does.
    const start = await run(path.join(STANDINS, 'systemctl'), ['start', 'voice_app'], scriptEnv(sb));
    assert.equal(start.code, 0, said(start));
    await waitFor(async () => (await health(sb.url).catch(() => null))?.status === 200, 30_000, 'voice_app to answer');
    await assertHealthy(sb, v2);
  });
});

describe('a run killed between the two renames of a switch', () => {
  let sb: Sandbox;
  let api: FakeReleasesApi;
  withSandboxAndApi((s, a) => ((sb = s), (api = a)));

  it('leaves current on the running release, and the next run completes the update and clears the scratch left behind', async () => {
    const first = await install(sb, installArgs(sb, api, v1.tarball));
    assert.equal(first.code, 0, said(first));
    api.setLatest({ tag: 'v0.2.0', assets: releaseAssets(v2) });
    const killed = await run(opt(sb, 'current', 'deploy', 'update.sh'), [], scriptEnv(sb, {}, [path.join(STANDINS, 'killed-mid-switch')]));
    assert.equal(killed.code, null, `SIGKILLed: ${said(killed)}`);
    assert.ok(existsSync(path.join(sb.state, 'killed-mid-switch')), 'killed after the first link swap');
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v1)}`, 'current still names the release that runs');
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    assert.notDeepEqual(await readdir(opt(sb, '.tmp')), [], 'the killed run left its scratch (the test would prove nothing otherwise)');
    await assertHealthy(sb, v1);

    const next = await update(sb);
    assert.equal(next.code, 0, said(next));
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    await assertHealthy(sb, v2);
    // The killed run's own temporary directory (its EXIT trap never ran) is the only leftover: remove it, then all is clean.
    const left = await readdir(sb.tmp);
    assert.equal(left.length, 1, left.join(', '));
    await rm(path.join(sb.tmp, left[0]!), { recursive: true });
    await assertTmpEmpty(sb);
  });
});

describe('install.sh without a tarball', () => {
  let sb: Sandbox;
  let api: FakeReleasesApi;
  withSandboxAndApi((s, a) => ((sb = s), (api = a)));

  it('downloads and installs the latest release the way update.sh does, and does not download it twice', async () => {
    api.setLatest({ tag: 'v0.2.0', assets: releaseAssets(v2) });
    // Run as an operator would: from the unpacked release's deploy/ (its runtime/node reads the JSON).
    const script = path.join(v1.dir, 'deploy', 'install.sh');
    const args = installArgs(sb, api);
    const r = await run(script, args, scriptEnv(sb));
    assert.equal(r.code, 0, said(r));
    assert.equal(api.downloads(path.basename(v2.tarball)), 1);
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    await assertHealthy(sb, v2);

    const before = await snapshot(sb.root);
    const again = await run(script, args, scriptEnv(sb));
    assert.equal(again.code, 0, said(again));
    assert.equal(api.downloads(path.basename(v2.tarball)), 1);
    assert.deepEqual(differences(before, await snapshot(sb.root)), []);
    await assertTmpEmpty(sb);
  });

  it('takes the latest release from releases/ when it is still there (previous), without a download; a rebuild of the same file name with other bytes goes beside it', async () => {
    const script = path.join(v1.dir, 'deploy', 'install.sh');
    const older = await run(script, [v1.tarball], scriptEnv(sb));
    assert.equal(older.code, 0, said(older));
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v2)}`);
    const back = await run(script, ['--repo', GH_REPO, '--api', api.url], scriptEnv(sb));
    assert.equal(back.code, 0, said(back));
    assert.match(back.stdout, new RegExp(`is unpacked already: ${installed(v2)}`));
    assert.equal(api.downloads(path.basename(v2.tarball)), 1, 'not downloaded again');
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(v2)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v1)}`);
    await assertHealthy(sb, v2);

    // The same tree packed with other mtimes: the same file name, other bytes, another release.
    const rebuilt = await pack(v2.dir, path.join(work, 'rebuilt'), 1_000_000_000);
    assert.equal(path.basename(rebuilt.tarball), path.basename(v2.tarball));
    assert.notEqual(rebuilt.sha256, v2.sha256);
    const r = await run(script, [rebuilt.tarball], scriptEnv(sb));
    assert.equal(r.code, 0, said(r));
    assert.equal(await readlink(opt(sb, 'current')), `releases/${installed(rebuilt)}`);
    assert.equal(await readlink(opt(sb, 'previous')), `releases/${installed(v2)}`);
    await assertHealthy(sb, rebuilt);
    await assertTmpEmpty(sb);
  });
});

describe('static checks', () => {
  it('shellcheck -x deploy/*.sh is clean', async () => {
    const scripts = (await readdir(path.join(REPO_ROOT, 'deploy'))).filter((f) => f.endsWith('.sh')).map((f) => path.join('deploy', f));
    assert.deepEqual(scripts.sort(), ['deploy/install.sh', 'deploy/lib.sh', 'deploy/update.sh']);
    const standins = ['systemctl', 'useradd', 'getent', 'nonroot/id', 'killed-mid-switch/mv'].map((f) => path.join('e2e', 'deploy', 'standins', f));
    let r: RunResult;
    try {
      r = await run('shellcheck', ['-x', ...scripts, ...standins], { PATH: process.env['PATH'] ?? '/usr/bin:/bin' });
    } catch (error) {
      throw new Error(`shellcheck is not installed (apt-get install shellcheck): ${(error as Error).message}`);
    }
    assert.equal(r.code, 0, said(r));
  });

  /** A root with our units, stub executables where the units point, and the host's system units. */
  async function unitRoot(): Promise<string> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'voice-units-'));
    const units = path.join(root, 'etc', 'systemd', 'system');
    await mkdir(units, { recursive: true });
    for (const unit of UNITS) await copyFile(path.join(UNIT_SOURCES, unit), path.join(units, unit));
    for (const exe of ['bin/voice-app', 'deploy/update.sh']) {
      const file = path.join(root, 'opt', 'voice_app', 'current', exe);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, '#!/bin/sh\n', { mode: 0o755 });
    }
    // sysinit.target, network-online.target, timers.target …: the host's.
    await cp('/usr/lib/systemd/system', path.join(root, 'usr', 'lib', 'systemd', 'system'), { recursive: true, verbatimSymlinks: true });
    return root;
  }

  /** systemd-analyze, failing clearly when it is not installed. */
  async function analyze(args: readonly string[]): Promise<RunResult> {
    try {
      return await run('systemd-analyze', args, { PATH: process.env['PATH'] ?? '/usr/bin:/bin', SYSTEMD_COLORS: '0' });
    } catch (error) {
      throw new Error(`systemd-analyze is not installed (apt-get install systemd): ${(error as Error).message}`);
    }
  }

  it('systemd-analyze verify accepts the three units without a warning', async () => {
    const root = await unitRoot();
    try {
      const r = await analyze(['verify', `--root=${root}`, '--man=no', ...UNITS]);
      assert.equal(r.code, 0, said(r));
      assert.equal(r.stdout + r.stderr, '', `no warnings: ${said(r)}`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('voice_app.service is hardened: systemd-analyze security exposure at most 2.0', async () => {
    const unit = path.join(UNIT_SOURCES, 'voice_app.service');
    const r = await analyze(['security', '--offline=yes', '--no-pager', unit]);
    assert.equal(r.code, 0, said(r));
    const m = /Overall exposure level for voice_app\.service: (\d+\.\d+)/.exec(r.stdout);
    assert.ok(m !== null, said(r));
    const score = Number(m[1]);
    assert.ok(score <= 2.0, `exposure ${score}`);
    process.stdout.write(`# systemd-analyze security voice_app.service: exposure ${score}\n`);
  });

  it('the units say what the deployment promises', async () => {
    const directives = async (unit: string): Promise<string[]> =>
      (await readFile(path.join(UNIT_SOURCES, unit), 'utf8')).split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
    const service = await directives('voice_app.service');
    for (const d of [
      'User=voiceapp',
      'Group=voiceapp',
      'EnvironmentFile=/etc/voice_app/voice_app.env',
      'Environment=VOICE_DATA_DIR=/var/lib/voice_app',
      'Environment=NODE_ENV=production',
      'WorkingDirectory=/var/lib/voice_app',
      'ExecStart=/opt/voice_app/current/bin/voice-app',
      'Restart=on-failure',
      'StateDirectory=voice_app',
      'StateDirectoryMode=0750',
      'UMask=0027',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'PrivateDevices=yes',
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectKernelLogs=yes',
      'ProtectControlGroups=yes',
      'CapabilityBoundingSet=',
      'AmbientCapabilities=',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK',
      'SystemCallFilter=@system-service',
      'SystemCallArchitectures=native',
    ])
      assert.ok(service.includes(d), `voice_app.service has ${d}`);
    assert.ok(service.some((l) => /^TimeoutStopSec=/.test(l)));
    assert.ok(service.some((l) => /^LimitNOFILE=\d{5,}$/.test(l)));
    assert.equal(service.filter((l) => l.startsWith('MemoryDenyWriteExecute=')).length, 0, 'V8 needs W+X memory');

    const updater = await directives('voice_app-update.service');
    for (const d of ['Type=oneshot', 'ExecStart=/opt/voice_app/current/deploy/update.sh']) assert.ok(updater.includes(d), `voice_app-update.service has ${d}`);
    assert.equal(updater.filter((l) => l.startsWith('User=')).length, 0, 'the updater runs as root');
    const timer = await directives('voice_app-update.timer');
    for (const d of ['OnCalendar=daily', 'Persistent=true', 'WantedBy=timers.target']) assert.ok(timer.includes(d), `voice_app-update.timer has ${d}`);
    assert.ok(timer.some((l) => /^RandomizedDelaySec=\S+/.test(l)));
  });
});
