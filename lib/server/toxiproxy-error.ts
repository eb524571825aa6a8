// Toxiproxy's error answers, `{"error": "...", "status": N}`, with its messages word for word:
// toxiproxy-cli prints them and client libraries match on them. Thrown anywhere in lib/server/,
// turned into the HTTP answer in one place (http-server.ts).

export class ToxiproxyError extends Error {
  override readonly name = 'ToxiproxyError';

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  get body(): { readonly error: string; readonly status: number } {
    return { error: this.message, status: this.status };
  }
}

export const proxyNotFound = (): ToxiproxyError => new ToxiproxyError('proxy not found', 404);
export const proxyAlreadyExists = (): ToxiproxyError => new ToxiproxyError('proxy already exists', 409);
export const toxicNotFound = (): ToxiproxyError => new ToxiproxyError('toxic not found', 404);
export const toxicAlreadyExists = (): ToxiproxyError => new ToxiproxyError('toxic already exists', 409);
export const invalidToxicType = (): ToxiproxyError => new ToxiproxyError('invalid toxic type', 400);
export const invalidStream = (): ToxiproxyError => new ToxiproxyError('stream was invalid, can be either upstream or downstream', 400);

/** A body Toxiproxy could not decode: `bad request body: <why>`. */
export function badRequestBody(why: string): ToxiproxyError {
  return new ToxiproxyError(`bad request body: ${why}`, 400);
}

/** `missing required field: name` (`name at proxy 2` from /populate). */
export function missingField(field: string): ToxiproxyError {
  return new ToxiproxyError(`missing required field: ${field}`, 400);
}

/** A failure Toxiproxy reports without a status of its own (a listen error): 500. */
export function internalError(message: string): ToxiproxyError {
  return new ToxiproxyError(message, 500);
}
