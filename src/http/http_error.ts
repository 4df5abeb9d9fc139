/**
 * The one error class of the HTTP layer: a request the handler refuses, with the status, the
 * reason sent to the client as `{"error": ...}`, optional structured details, and extra headers.
 * Route code throws it; the handler turns it into a JSON response. Anything else thrown becomes
 * a 500.
 *
 * @module
 */

/** Options of {@linkcode HttpError}. */
export interface HttpErrorOptions {
  /** Extra response headers (e.g. `Allow`, `WWW-Authenticate`). Without them, none. */
  headers?: Record<string, string>;
  /** Extra JSON fields beside `error` (e.g. `index`, `field`). Without them, none. */
  details?: Record<string, unknown>;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** A request the handler refuses with a 4xx status and a reason. */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra JSON fields of the response body. */
  readonly details: Readonly<Record<string, unknown>>;

  /** Creates the error; `message` is the reason the client reads. */
  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.headers = options.headers ?? {};
    this.details = options.details ?? {};
  }
}
