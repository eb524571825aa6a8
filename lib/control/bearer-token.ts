// The control API's token check (--http-token): `Authorization: Bearer TOKEN`, compared in
// constant time. Both sides are hashed first, so neither the content nor the length of the
// token leaks through timing; a refusal never quotes what was presented.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-errors.js';

/** Throws ApiError 401 unless `header` presents `token`; every header passes without a token. */
export function bearerCheck(token: string | undefined): (header: string | undefined) => void {
  if (token === undefined || token === '') return () => {};
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
    const presented = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (timingSafeEqual(presented, expected) && match !== null) return;
    throw new ApiError(401, [{ location: 'header', name: 'Authorization', description: 'missing or wrong bearer token' }], {
      'WWW-Authenticate': 'Bearer realm="vaurien"',
    });
  };
}
