// The action forms that fit an exception, for finance and admin only (the loader sends an empty list
// to other roles). Every form posts an `intent`, a required note and the CSRF token, and works
// without JavaScript; with it, the pressed form shows that it is working.
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import {
  ACTION_LABELS,
  FOUR_EYES_ACTIONS,
  type ExceptionAction,
} from "../../modules/exceptions/actions";
import type { FormResult } from "../../lib/form-result";
import { CsrfInput } from "../csrf";

type ActionResult = FormResult<{ status?: string; next?: string | null }>;

function ExtraFields({ action }: { action: ExceptionAction }) {
  switch (action) {
    case "mark_refunded":
      return (
        <label>
          Reversal transaction ID (from the M-Pesa portal)
          <input
            name="reversalRef"
            required
            pattern="[A-Za-z0-9]{10}"
            placeholder="TCE4XK2P7Q"
            autoComplete="off"
          />
        </label>
      );
    case "link_to_payment":
      return (
        <label>
          Payment id or order reference
          <input name="paymentRef" required placeholder="INV-1001" autoComplete="off" />
        </label>
      );
    case "mark_paid_offline":
      return (
        <label>
          M-Pesa receipt number
          <input
            name="receipt"
            required
            pattern="[A-Za-z0-9]{10}"
            placeholder="TCE4XK2P7Q"
            autoComplete="off"
          />
        </label>
      );
    case "choose_outcome":
      return (
        <fieldset className="choices">
          <legend>Which is right?</legend>
          <label className="inline">
            <input type="radio" name="outcome" value="paid" required /> Paid (with the receipt)
          </label>
          <label className="inline">
            <input type="radio" name="outcome" value="failed" /> The failure
          </label>
        </fieldset>
      );
    default:
      return null;
  }
}

function ActionForm({ action, withdraw }: { action: ExceptionAction; withdraw: boolean }) {
  const navigation = useNavigation();
  const result = useActionData<ActionResult>();
  const busy = navigation.state !== "idle" && navigation.formData?.get("intent") === action;
  const form = useRef<HTMLFormElement>(null);
  // A note is written for one decision: clear it once that decision went through.
  useEffect(() => {
    if (navigation.state === "idle" && result?.ok) form.current?.reset();
  }, [navigation.state, result]);
  // The proposer's own "reject" takes their proposal back; everyone else's sends it back.
  const { label, help } = withdraw
    ? { label: "Withdraw proposal", help: "Take your proposal back; the exception stays open." }
    : ACTION_LABELS[action];
  const danger = action === "write_off" || action === "reject" || action === "not_ours";
  return (
    <Form method="post" className="card action-form" data-action={action} ref={form}>
      <CsrfInput />
      <input type="hidden" name="intent" value={action} />
      <h3>
        {label}
        {FOUR_EYES_ACTIONS.includes(action) ? (
          <span className="muted"> · needs a second approver</span>
        ) : null}
      </h3>
      <p className="muted">{help}</p>
      <ExtraFields action={action} />
      <label>
        Note (required)
        <textarea
          name="note"
          required
          minLength={3}
          maxLength={2000}
          placeholder="Why, and what you checked"
        />
      </label>
      <button type="submit" className={danger ? "danger" : "primary"} disabled={busy}>
        {busy ? "Working…" : label}
      </button>
    </Form>
  );
}

export function ExceptionActions({
  actions,
  proposedByViewer,
}: {
  actions: ExceptionAction[];
  proposedByViewer: boolean;
}) {
  const result = useActionData<ActionResult>();
  const next = result?.ok ? result.data?.next : undefined;
  if (!actions.length && !result) return null;
  return (
    <section aria-labelledby="actions-heading">
      <h2 id="actions-heading">Resolve</h2>
      {result && !result.ok ? (
        <p className="form-error" role="alert" data-field={result.error.field ?? ""}>
          {result.error.message}
        </p>
      ) : null}
      {result?.ok ? (
        <p className="form-ok" role="status">
          {result.message ?? "Done."}{" "}
          {next ? (
            <Link to={`/exceptions/${next}`} data-testid="next-case">
              Next case →
            </Link>
          ) : (
            <Link to="/exceptions">Back to the queue</Link>
          )}
        </p>
      ) : null}
      <div className="grid-2">
        {actions.map((a) => (
          <ActionForm key={a} action={a} withdraw={a === "reject" && proposedByViewer} />
        ))}
      </div>
    </section>
  );
}
