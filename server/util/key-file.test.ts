/**
 * loadOrCreateKeyFile on a real file system: made once with mode 0600 (folder
 * 0700) and read back after; content that is not a key is an error naming the
 * file and leaves it alone; a failed make writes nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateKeyFile } from './key-file.ts';

const temps: string[] = [];
after(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'key-file-'));
  temps.push(d);
  return d;
}

const parseKey = (text: string): string => {
  if (!/^key:\w+$/.test(text)) throw new Error('not a key');
  return text.slice(4);
};

test('made once (0600, in a new 0700 folder, nothing else left behind), then read back', async () => {
  const dir = path.join(await tempDir(), 'data');
  const file = path.join(dir, 'secret.key');
  let made = 0;
  const make = (): string => `key:k${++made}`;
  assert.deepEqual(await loadOrCreateKeyFile(file, make, parseKey), { value: 'k1', created: true });
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.deepEqual(await readdir(dir), ['secret.key']);
  assert.deepEqual(await loadOrCreateKeyFile(file, make, parseKey), { value: 'k1', created: false });
  assert.equal(made, 1);
});

test('content that is not a key: an error naming the file, which is left alone', async () => {
  const file = path.join(await tempDir(), 'secret.key');
  await writeFile(file, 'garbage');
  await assert.rejects(loadOrCreateKeyFile(file, () => 'key:new', parseKey), { message: `${file}: not a key` });
  assert.equal(await readFile(file, 'utf8'), 'garbage');
});

test('a make that fails, or makes something unparseable, writes nothing', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'secret.key');
  await assert.rejects(loadOrCreateKeyFile(file, () => Promise.reject(new Error('no entropy')), parseKey), /no entropy/);
  await assert.rejects(loadOrCreateKeyFile(file, () => 'oops', parseKey), /not a key/);
  assert.deepEqual(await readdir(dir), []);
});
