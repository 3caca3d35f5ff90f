// The outcome of an admin form post, said once at the top of the page (works without JavaScript).
// The shape is http.server.ts's FormResult, restated here because components never import server files.
export type FormOutcome =
  | { ok: true; message?: string; data?: unknown }
  | { ok: false; error: { code: string; message: string; field?: string } };

export function FormResultBanner({ result }: { result: FormOutcome | undefined }) {
  if (!result) return null;
  if (result.ok)
    return result.message ? (
      <p className="form-ok" role="status">
        {result.message}
      </p>
    ) : null;
  return (
    <p className="form-error" role="alert">
      {result.error.message}
    </p>
  );
}
