import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { healthUrl, probe } from './healthcheck.ts';

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
  assert.equal(await probe(url, 200), `${url}: TimeoutError after 200 ms`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  assert.equal(await probe(url), `${url}: ECONNREFUSED`);
});
