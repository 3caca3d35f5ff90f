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

// The one field beyond the note an action asks for (its name in the form and in a refusal's `field`).
const EXTRA_FIELD: Partial<Record<ExceptionAction, string>> = {
  mark_refunded: "reversalRef",
  link_to_payment: "paymentRef",
  mark_paid_offline: "receipt",
  choose_outcome: "outcome",
};
/** The values an action's form posts, sent back with a refusal (see the route's action). */
export const ACTION_FORM_FIELDS = ["intent", "note", ...Object.values(EXTRA_FIELD)];

type Refusal = Extract<ActionResult, { ok: false }>;

/** The refusal of this action's form, if the last post was this form's and it was refused. */
function refusalOf(result: ActionResult | undefined, action: ExceptionAction): Refusal | null {
  return result && !result.ok && result.values?.intent === action ? result : null;
}

/** Whether the form of the refused action shows its error next to a field (then said only there). */
function shownInForm(result: ActionResult | undefined, actions: ExceptionAction[]): boolean {
  if (!result || result.ok) return false;
  const intent = actions.find((a) => a === result.values?.intent);
  const field = result.error.field;
  return !!intent && !!field && (field === "note" || field === EXTRA_FIELD[intent]);
}

function FieldError({ refusal, name }: { refusal: Refusal | null; name: string }) {
  return refusal?.error.field === name ? (
    <span className="field-error" role="alert">
      {refusal.error.message}
    </span>
  ) : null;
}

function ExtraFields({ action, refusal }: { action: ExceptionAction; refusal: Refusal | null }) {
  const typed = refusal?.values ?? {};
  const invalid = (name: string) => (refusal?.error.field === name ? true : undefined);
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
            defaultValue={typed.reversalRef ?? ""}
            aria-invalid={invalid("reversalRef")}
          />
          <FieldError refusal={refusal} name="reversalRef" />
        </label>
      );
    case "link_to_payment":
      return (
        <label>
          Payment id or order reference
          <input
            name="paymentRef"
            required
            placeholder="INV-1001"
            autoComplete="off"
            defaultValue={typed.paymentRef ?? ""}
            aria-invalid={invalid("paymentRef")}
          />
          <FieldError refusal={refusal} name="paymentRef" />
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
            defaultValue={typed.receipt ?? ""}
            aria-invalid={invalid("receipt")}
          />
          <FieldError refusal={refusal} name="receipt" />
        </label>
      );
    case "choose_outcome":
      return (
        <fieldset className="choices">
          <legend>Which is right?</legend>
          <label className="inline">
            <input
              type="radio"
              name="outcome"
              value="paid"
              required
              defaultChecked={typed.outcome === "paid"}
            />{" "}
            Paid (with the receipt)
          </label>
          <label className="inline">
            <input
              type="radio"
              name="outcome"
              value="failed"
              defaultChecked={typed.outcome === "failed"}
            />{" "}
            The failure
          </label>
          <FieldError refusal={refusal} name="outcome" />
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
  // Without JavaScript a refused post re-renders the page: what was typed comes back with it.
  const refusal = refusalOf(result, action);
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
      <ExtraFields action={action} refusal={refusal} />
      <label>
        Note (required)
        <textarea
          name="note"
          required
          minLength={3}
          maxLength={2000}
          placeholder="Why, and what you checked"
          defaultValue={refusal?.values?.note ?? ""}
          aria-invalid={refusal?.error.field === "note" ? true : undefined}
        />
        <FieldError refusal={refusal} name="note" />
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
      {result && !result.ok && !shownInForm(result, actions) ? (
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
