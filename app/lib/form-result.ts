// What a console form action answers: done (with an optional message and data) or refused with the
// AppError's code, message and field. Plain, so the actions (lib/http.server.ts's `formAction`) and
// the components that show the result share one definition.
export type FormResult<T = unknown> =
  | { ok: true; data?: T; message?: string }
  | { ok: false; error: { code: string; message: string; field?: string } };
