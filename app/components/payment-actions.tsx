// What the signed-in role may do to a payment: re-send the STK prompt, check status now, add a note.
// Each is a fetcher form (works without JavaScript as a plain POST; with it, shows its own pending
// state and result). The server enforces the role and the refusals regardless of what is shown here.
import { useActionData, useFetcher } from "@remix-run/react";
import { useEffect, useRef } from "react";
import type { FormResult } from "../lib/form-result";
import { FormResultBanner } from "./form-result";
import { CsrfInput } from "./csrf";
import { pushWaitText, useElapsedSeconds } from "./use-elapsed";

type Result = FormResult;
export type ResendAvailability =
  { allowed: true } | { allowed: false; reason: string; final?: boolean };

function useActionForm(intent: string) {
  const fetcher = useFetcher<Result>({ key: `payment-${intent}` });
  const form = useRef<HTMLFormElement>(null);
  const busy = fetcher.state !== "idle";
  useEffect(() => {
    if (fetcher.state === "idle" && fetcher.data?.ok) form.current?.reset();
  }, [fetcher.state, fetcher.data]);
  return { fetcher, form, busy, data: fetcher.data };
}

const WAITING = ["initiating", "pending"];
const RESEND_FIELDS = ["phone", "reason"];

/**
 * A refused re-send whose problem is one of its fields: the form says it next to that field (the
 * page then need not say it again). Without JavaScript it arrives as the page's action data.
 */
export function resendFieldError(result: Result | undefined) {
  return result &&
    !result.ok &&
    result.values?.intent === "resend" &&
    RESEND_FIELDS.includes(result.error.field ?? "")
    ? result.error
    : null;
}

export function ResendPromptForm({
  resend,
  phoneHint,
  status,
}: {
  resend: ResendAvailability;
  phoneHint: string;
  /** The payment's status now: "Prompt sent…" must not linger beside a final status. */
  status: string;
}) {
  const { fetcher, form, busy, data } = useActionForm("resend");
  // Without JavaScript the form posted as the page: its refusal (and what was typed) is the page's.
  const page = useActionData<Result>();
  const refused = data ?? (page && !page.ok && page.values?.intent === "resend" ? page : undefined);
  const typed = refused && !refused.ok ? refused.values : undefined;
  const waited = useElapsedSeconds(busy);
  const shown = data?.ok && !WAITING.includes(status) ? undefined : data;
  if (!resend.allowed && resend.final) {
    return (
      <section className="card" aria-label="Re-send STK prompt">
        <h3>Re-send STK prompt</h3>
        <p className="muted" data-testid="resend-refused">
          {resend.reason}
        </p>
      </section>
    );
  }
  const fieldError = resendFieldError(refused);
  return (
    <fetcher.Form method="post" ref={form} className="card" aria-label="Re-send STK prompt">
      <h3>Re-send STK prompt</h3>
      <CsrfInput />
      <input type="hidden" name="intent" value="resend" />
      <label>
        Send to a corrected phone number (optional)
        <input
          name="phone"
          type="tel"
          placeholder={`Same number (${phoneHint})`}
          defaultValue={typed?.phone ?? ""}
          aria-invalid={fieldError?.field === "phone" || undefined}
          aria-describedby={fieldError?.field === "phone" ? "resend-phone-error" : undefined}
        />
        {fieldError?.field === "phone" ? (
          <span className="field-error" id="resend-phone-error">
            {fieldError.message}
          </span>
        ) : null}
      </label>
      <label>
        Reason (required)
        <textarea
          name="reason"
          required
          minLength={3}
          placeholder="e.g. customer says the prompt never arrived"
          defaultValue={typed?.reason ?? ""}
          aria-invalid={fieldError?.field === "reason" || undefined}
          aria-describedby={fieldError?.field === "reason" ? "resend-reason-error" : undefined}
        />
        {fieldError?.field === "reason" ? (
          <span className="field-error" id="resend-reason-error">
            {fieldError.message}
          </span>
        ) : null}
      </label>
      {!resend.allowed ? (
        <p className="banner-warn" data-testid="resend-wait">
          {resend.reason}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={busy || !resend.allowed}>
        {busy && waited < 4 ? "Sending prompt…" : "Re-send prompt"}
      </button>
      {busy && waited >= 4 ? (
        <p className="muted" role="status">
          {pushWaitText(waited)}
        </p>
      ) : null}
      {fieldError ? null : <FormResultBanner result={shown} done="Done." />}
    </fetcher.Form>
  );
}

export function CheckStatusForm() {
  const { fetcher, busy, data } = useActionForm("check");
  return (
    <fetcher.Form method="post" className="card" aria-label="Check status now">
      <h3>Check status now</h3>
      <p className="muted">
        Asks M-Pesa (STK Query) for the latest prompt's result, as the poller would.
      </p>
      <CsrfInput />
      <input type="hidden" name="intent" value="check" />
      <button type="submit" disabled={busy}>
        {busy ? "Asking M-Pesa…" : "Check status now"}
      </button>
      <FormResultBanner result={data} done="Done." />
    </fetcher.Form>
  );
}

export function NoteForm() {
  const { fetcher, form, busy, data } = useActionForm("note");
  return (
    <fetcher.Form method="post" ref={form} className="card" aria-label="Add a note">
      <h3>Add a note</h3>
      <CsrfInput />
      <input type="hidden" name="intent" value="note" />
      <label className="sr-label">
        Note
        <textarea
          name="note"
          required
          maxLength={2000}
          placeholder="What the customer said, what you did"
        />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Add note"}
      </button>
      <FormResultBanner result={data} done="Done." />
    </fetcher.Form>
  );
}
