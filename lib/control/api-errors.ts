// The control API's error answers, in the original's (cornice) shape:
// `{"status": "error", "errors": [{"location", "name", "description"}]}`. Thrown by a route,
// turned into the HTTP answer in one place (http-api.ts).

/** One problem with a request: where it is (`body`, `header`, `url`), which field, and why. */
export interface FieldError {
  readonly location: string;
  readonly name: string;
  readonly description: string;
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly status: 'error';
  readonly errors: readonly FieldError[];
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly errors: readonly FieldError[],
    /** Extra response headers (`Allow` on a 405, `WWW-Authenticate` on a 401). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(errors.map((error) => error.description).join('; '));
  }

  get body(): ErrorBody {
    return { status: 'error', errors: this.errors };
  }
}

/** A 400 about one field. */
export function badRequest(location: string, name: string, description: string): ApiError {
  return new ApiError(400, [{ location, name, description }]);
}
