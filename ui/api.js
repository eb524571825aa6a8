// @ts-check
// The dashboard's requests to the API that served it (control API or `vaurien server`): same
// origin, the token as `Authorization: Bearer`, and X-Vaurien-Dashboard, which another site can't
// send without a preflight the APIs never grant (a server lets only it past its browser 403).

const TOKEN_KEY = 'vaurien-token';

/** The API refused the token (or wants one). */
export class Unauthorized extends Error {}

/** The API answered an error: its message, as it wrote it. */
export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @returns {string | undefined} */
export function storedToken() {
  return localStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** @param {string | undefined} token */
export function storeToken(token) {
  if (token === undefined) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

/** @param {Record<string, string>} [extra] @returns {Record<string, string>} */
export function headers(extra = {}) {
  const token = storedToken();
  return { 'X-Vaurien-Dashboard': '1', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...extra };
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<unknown>}
 */
export async function call(method, path, body) {
  return (await exchange(method, path, body)).json;
}

/**
 * A request and its answer: the JSON, and the headers (they tell which API answered).
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<{ json: unknown, headers: Headers }>}
 */
export async function exchange(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 401) throw new Unauthorized('the API wants a token');
  const text = await response.text();
  /** @type {unknown} */
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) throw new ApiError(response.status, describeError(json) ?? `HTTP ${response.status}`);
  return { json, headers: response.headers };
}

/**
 * The API's error, as it wrote it: the control API's descriptions, joined, or a server's
 * `{"error": "...", "status": N}` (Toxiproxy's shape).
 * @param {unknown} json @returns {string | undefined}
 */
function describeError(json) {
  if (typeof json !== 'object' || json === null) return undefined;
  if ('error' in json && typeof json.error === 'string') return json.error;
  if (!('errors' in json) || !Array.isArray(json.errors)) return undefined;
  return json.errors.map((/** @type {{ description?: string }} */ error) => error.description ?? '').join('; ');
}
