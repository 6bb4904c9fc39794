/**
 * Reads a request body as JSON with a size cap, before any handler sees it:
 * too big → 413 (the rest is not read), not `application/json` → 415,
 * not JSON → 400. An empty body reads as `{}`.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './api-error.ts';

export const MAX_BODY_BYTES = 16 * 1024;

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 'NaN');
  if (declared > MAX_BODY_BYTES) throw tooLarge(req);
  const body = await new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop collecting but keep draining, so the 413 reaches a client still sending (a destroyed
        // socket would show it a reset instead); Connection: close ends the exchange after the answer.
        req.off('data', onData);
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
  if (body === null) throw tooLarge(req);
  if (body.length === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'unsupported-media-type', 'send the body as application/json');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'bad-request', 'the body is not valid JSON', { fields: { body: 'not valid JSON' } });
  }
}

function tooLarge(req: IncomingMessage): ApiError {
  req.resume(); // discard whatever is still coming
  return new ApiError(413, 'too-large', `the body is over ${MAX_BODY_BYTES} bytes`, { headers: { Connection: 'close' } });
}
