/**
 * The admin API's one error shape: `{ error, message, fields? }` with an HTTP
 * status. Handlers throw ApiError; the middleware in admin-api.ts writes it.
 */
import type { z } from 'zod';
import type { ErrorBody } from '../../shared/admin/api.ts';
import { BUSY_MESSAGE, type Denial } from '../auth/gatekeeper.ts';

export type ApiErrorCode =
  | 'bad-request'
  | 'unauthorized'
  | 'bad-credentials'
  | 'forbidden'
  | 'banned'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media-type'
  | 'rate-limited'
  | 'busy'
  | 'internal';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly fields: Record<string, string> | undefined;
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(status: number, code: ApiErrorCode, message: string, options: { fields?: Record<string, string>; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = options.fields;
    this.headers = options.headers ?? {};
  }

  body(): ErrorBody & { error: ApiErrorCode } {
    return { error: this.code, message: this.message, ...(this.fields === undefined ? {} : { fields: this.fields }) };
  }
}

/** A 400 naming every invalid field (`channelId`, `config.bitrate`, or `body` for the whole). */
export function badRequest(error: z.ZodError): ApiError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length === 0 ? 'body' : issue.path.join('.');
    fields[key] ??= issue.message;
  }
  const names = Object.keys(fields);
  return new ApiError(400, 'bad-request', `invalid ${names.join(', ')}`, { fields });
}

export function fieldError(field: string, message: string): ApiError {
  return new ApiError(400, 'bad-request', `invalid ${field}: ${message}`, { fields: { [field]: message } });
}

export function notFound(what: string): ApiError {
  return new ApiError(404, 'not-found', `no such ${what}`);
}

/** 503 with Retry-After: the password hasher's queue is full (BusyError). */
export function busy(message = BUSY_MESSAGE): ApiError {
  return new ApiError(503, 'busy', message, { headers: { 'Retry-After': '1' } });
}

/**
 * A gatekeeper refusal as the admin API answers it: 429 with Retry-After,
 * 403 banned, 503 busy, and 401 bad-credentials for the rest (one answer for
 * a wrong name and a wrong password).
 */
export function denialToApiError(denial: Denial): ApiError {
  switch (denial.reason) {
    case 'rate-limited': {
      const seconds = String(Math.ceil((denial.retryAfterMs ?? 1000) / 1000));
      return new ApiError(429, 'rate-limited', denial.message, { headers: { 'Retry-After': seconds } });
    }
    case 'banned':
      return new ApiError(403, 'banned', denial.message);
    case 'busy':
      return busy(denial.message);
    default:
      return new ApiError(401, 'bad-credentials', 'wrong name or password');
  }
}
