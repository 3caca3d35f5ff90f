// The outcome of an admin form post, said once at the top of the page (works without JavaScript).
import type { FormResult } from "../../lib/form-result";

/** @deprecated the same as `FormResult` (app/lib/form-result.ts); use that. */
export type FormOutcome = FormResult;

export function FormResultBanner({ result }: { result: FormResult | undefined }) {
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
