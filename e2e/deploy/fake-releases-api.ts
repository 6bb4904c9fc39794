/**
 * A local HTTP server posing as GitHub's Releases API for deploy/update.sh
 * (and install.sh without a tarball): GET /repos/OWNER/NAME/releases/latest
 * answers the release set with setLatest(), every asset's
 * browser_download_url points back here (/download/<tag>/<name>), and each
 * request is recorded so that tests can count downloads and check headers.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface FakeAsset {
  readonly name: string;
  /** Served from this file … */
  readonly file?: string;
  /** … or this text. */
  readonly body?: string;
  /** GitHub's `digest` field ("sha256:<hex>"); left out of the JSON when undefined. */
  readonly digest?: string;
}

export interface FakeRelease {
  readonly tag: string;
  readonly assets: readonly FakeAsset[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface FakeReleasesApi {
  /** http://127.0.0.1:<port>, what VOICEAPP_API is set to. */
  readonly url: string;
  setLatest(release: FakeRelease | null): void;
  /** Every request so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** How often the asset with this name was downloaded. */
  downloads(name: string): number;
  close(): Promise<void>;
}

/** The assets a real release of ours has: the tarball, its .sha256, and GitHub's digest. */
export function releaseAssets(
  info: { readonly tarball: string; readonly sha256: string },
  options: { readonly sha256File?: string | null; readonly digest?: string | null } = {},
): FakeAsset[] {
  const name = path.basename(info.tarball);
  const digest = options.digest === undefined ? `sha256:${info.sha256}` : options.digest;
  const sums = options.sha256File === undefined ? `${info.sha256}  ${name}\n` : options.sha256File;
  const assets: FakeAsset[] = [digest === null ? { name, file: info.tarball } : { name, file: info.tarball, digest }];
  if (sums !== null) assets.push({ name: `${name}.sha256`, body: sums });
  return assets;
}

export async function startFakeReleasesApi(repo: string): Promise<FakeReleasesApi> {
  let latest: FakeRelease | null = null;
  const requests: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  let base = '';

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers });
    const send = (status: number, body: string, type = 'application/json'): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, '{"message":"Method Not Allowed"}');

    if (url.pathname === `/repos/${repo}/releases/latest`) {
      if (latest === null) return send(404, '{"message":"Not Found"}');
      const tag = latest.tag;
      return send(
        200,
        JSON.stringify({
          tag_name: tag,
          name: tag,
          draft: false,
          prerelease: false,
          assets: latest.assets.map((a, i) => ({
            id: i + 1,
            name: a.name,
            content_type: a.name.endsWith('.tar.gz') ? 'application/gzip' : 'text/plain',
            state: 'uploaded',
            ...(a.digest === undefined ? {} : { digest: a.digest }),
            browser_download_url: `${base}/download/${encodeURIComponent(tag)}/${encodeURIComponent(a.name)}`,
          })),
        }),
      );
    }

    const m = /^\/download\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const asset = m !== null && latest !== null && decodeURIComponent(m[1]!) === latest.tag ? latest.assets.find((a) => a.name === decodeURIComponent(m[2]!)) : undefined;
    if (asset === undefined) return send(404, 'Not Found', 'text/plain');
    counts.set(asset.name, (counts.get(asset.name) ?? 0) + 1);
    if (asset.body !== undefined) return send(200, asset.body, 'application/octet-stream');
    const file = asset.file!;
    stat(file).then(
      (st) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
        createReadStream(file).pipe(res);
      },
      () => send(500, 'asset file missing', 'text/plain'),
    );
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    setLatest(release) {
      latest = release;
    },
    requests,
    downloads: (name) => counts.get(name) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
