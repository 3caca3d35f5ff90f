// What a console form action answers: done (with an optional message and data) or refused with the
// AppError's code, message and field. Plain, so the actions (lib/http.server.ts's `formAction`) and
// the components that show the result share one definition.
export type FormResult<T = unknown> =
  | { ok: true; data?: T; message?: string }
  | {
      ok: false;
      /** `fields`: every bad field's message when a form checks them all at once (parseFormFields). */
      error: { code: string; message: string; field?: string; fields?: Record<string, string> };
      /** What was typed, for a form re-shown without JavaScript; `data`, what the refusal points at. */
      values?: Record<string, string>;
      data?: T;
    };
