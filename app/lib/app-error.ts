// The one error type domain code throws for things a person can act on. Routes turn it into a form
// error, a JSON `{ error: { code, message, field } }`, or a calm error page (see http.server.ts).

export type AppErrorOptions = {
  status?: number;
  field?: string;
  /** Every bad field's message, for a form that shows each next to its input (`field` is the first). */
  fields?: Record<string, string>;
  retryable?: boolean;
  details?: unknown;
};

// A brand shared by every copy of this module that might be loaded (Symbol.for is process-wide), so
// "is this an AppError?" has one answer even across a module boundary crossed twice; see isAppError.
const APP_ERROR = Symbol.for("mpesa-console.AppError");

export class AppError extends Error {
  readonly [APP_ERROR] = true;
  readonly status: number;
  readonly field?: string;
  readonly fields?: Record<string, string>;
  readonly retryable: boolean;
  readonly details?: unknown;

  constructor(
    readonly code: string,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message);
    this.name = "AppError";
    this.status = options.status ?? 400;
    this.field = options.field;
    this.fields = options.fields;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** Use this, not `instanceof AppError`: it holds whichever copy of this module threw the error. */
export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [APP_ERROR]?: unknown })[APP_ERROR] === true
  );
}

/**
 * A page loader's answer to a query it could not read (a bad filter, a mangled cursor): the page stays
 * and says this, with the AppError's status; the same fields as the API's JSON `error`.
 */
export type PageError = { code: string; message: string; field?: string };

export function pageError(error: AppError): PageError {
  return {
    code: error.code,
    message: error.message,
    ...(error.field ? { field: error.field } : {}),
  };
}

export const notFound = (what: string) =>
  new AppError("not_found", `${what} was not found.`, { status: 404 });
export const forbidden = (message = "Your role may not do this.") =>
  new AppError("forbidden", message, { status: 403 });
