/** A value or a typed reason; decoders return this instead of throwing. */
export type Result<T, R extends string> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: R };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<R extends string>(reason: R): { readonly ok: false; readonly reason: R } {
  return { ok: false, reason };
}

/** Exhaustiveness guard for discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new TypeError(`unhandled ${what}: ${JSON.stringify(value)}`);
}
