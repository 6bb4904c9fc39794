/**
 * The version this server reports on /health: the release's VERSION file
 * (written by scripts/release.ts, e.g. `0.1.0+3f2a1bc9d0e1`) or, when run from
 * a checkout, package.json's version with `-dev`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function readVersion(): string {
  try {
    const v = readFileSync(path.join(root, 'VERSION'), 'utf8').trim();
    if (v !== '') return v;
  } catch {
    // Not a release: fall through to package.json.
  }
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return `${pkg.version}-dev`;
}

export const SERVER_VERSION = readVersion();
