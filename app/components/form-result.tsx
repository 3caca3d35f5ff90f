// The outcome of a form post, said once where the form is (works without JavaScript): the one
// component every console form shows its FormResult with.
import type { FormResult } from "../lib/form-result";

/** `done`: what to say when the action succeeded without a message of its own (nothing if unset). */
export function FormResultBanner({
  result,
  done,
}: {
  result: FormResult | undefined;
  done?: string;
}) {
  if (!result) return null;
  if (result.ok) {
    const message = result.message ?? done;
    return message ? (
      <p className="form-ok" role="status">
        {message}
      </p>
    ) : null;
  }
  return (
    <p className="form-error" role="alert">
      {result.error.message}
    </p>
  );
}
