import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { healthUrl, parseArgs, probe } from './healthcheck.ts';

const HEALTHCHECK = fileURLToPath(new URL('./healthcheck.ts', import.meta.url));

test('healthUrl asks loopback for a wildcard listener, brackets IPv6', () => {
  assert.equal(healthUrl('0.0.0.0', 8080), 'http://127.0.0.1:8080/health');
  assert.equal(healthUrl('::', 8080), 'http://[::1]:8080/health');
  assert.equal(healthUrl('10.0.0.5', 9000), 'http://10.0.0.5:9000/health');
  assert.equal(healthUrl('fd00::5', 9000), 'http://[fd00::5]:9000/health');
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/health`, server };
}

test('probe: healthy only for 200 with ok:true; every other answer, a refusal and a hang are reasons', async (t) => {
  const answers: Array<[number, string]> = [[200, '{"ok":true}'], [503, '{"ok":false}'], [200, '{"ok":false}'], [200, 'not json']];
  let next = 0;
  let hang = false;
  const { url, server } = await serve((req, res) => {
    if (hang) return; // never answers
    const [status, body] = answers[next++]!;
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  assert.equal(await probe(url), null);
  assert.equal(await probe(url), `${url} answered 503`);
  assert.equal(await probe(url), `${url} answered 200`);
  assert.equal(await probe(url), `${url} answered 200`);
  hang = true;
  assert.equal(await probe(url, { timeoutMs: 200 }), `${url}: TimeoutError after 200 ms`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  assert.equal(await probe(url), `${url}: ECONNREFUSED`);
});

test('probe with expectVersion: healthy only when the answer carries that version', async (t) => {
  const bodies = ['{"ok":true,"version":"0.2.0+abc"}', '{"ok":true,"version":"0.1.0+def"}', '{"ok":true}', '{"ok":false,"version":"0.2.0+abc"}'];
  let next = 0;
  const { url, server } = await serve((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(bodies[next++]));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  assert.equal(await probe(url, { expectVersion: '0.2.0+abc' }), null);
  assert.equal(await probe(url, { expectVersion: '0.2.0+abc' }), `${url} answered version "0.1.0+def", expected "0.2.0+abc"`);
  assert.equal(await probe(url, { expectVersion: '0.2.0+abc' }), `${url} answered version none, expected "0.2.0+abc"`);
  assert.equal(await probe(url, { expectVersion: '0.2.0+abc' }), `${url} answered 200`);
});

test('parseArgs: nothing or --expect-version V; anything else is refused', () => {
  assert.deepEqual(parseArgs([]), {});
  assert.deepEqual(parseArgs(['--expect-version', '0.2.0+abc']), { expectVersion: '0.2.0+abc' });
  for (const bad of [['--expect-version'], ['--expect-version', ''], ['--version', '1'], ['0.2.0'], ['--expect-version', '1', '2']]) {
    assert.throws(() => parseArgs(bad), /usage: healthcheck\.js \[--expect-version VERSION\]/, bad.join(' '));
  }
});

test('the command: asks VOICE_HOST:VOICE_PORT, checks --expect-version, exits 0 or 1 with one line', async (t) => {
  const { url, server } = await serve((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"version":"0.2.0+abc"}'));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = new URL(url).port;
  const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
    try {
      const { stderr } = await promisify(execFile)(process.execPath, [HEALTHCHECK, ...args], { env: { VOICE_HOST: '127.0.0.1', VOICE_PORT: port } });
      return { code: 0, stderr };
    } catch (error) {
      const e = error as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  };
  assert.deepEqual(await run([]), { code: 0, stderr: '' });
  assert.deepEqual(await run(['--expect-version', '0.2.0+abc']), { code: 0, stderr: '' });
  assert.deepEqual(await run(['--expect-version', '0.3.0']), { code: 1, stderr: `voice-app healthcheck: unhealthy: ${url} answered version "0.2.0+abc", expected "0.3.0"\n` });
  const usage = await run(['--expect']);
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /^voice-app healthcheck: usage: /);
});
