// One payment: summary, attempts, the timeline, open exceptions, and the actions the role may take
// (re-send prompt, check status now, add a note). Revalidates every 2 s until the payment is final.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "../components/error-page";
import { MoneyOutPanel } from "../components/money-out-panel";
import {
  CheckStatusForm,
  NoteForm,
  resendFieldError,
  ResendPromptForm,
} from "../components/payment-actions";
import { AttemptsTable, OpenExceptions, PaymentSummaryCard } from "../components/payment-details";
import { PaymentTimeline } from "../components/payment-timeline";
import { StatusBadge } from "../components/status-badge";
import { useLiveRevalidation } from "../components/use-live-revalidation";
import { AppError } from "../lib/app-error";
import { formAction, throwAsResponse } from "../lib/http.server";
import type { FormResult } from "../lib/form-result";
import { formatKes } from "../lib/money";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { formatPhoneLocal } from "../modules/daraja/phone";
import { addPaymentNote } from "../modules/payments/notes.server";
import { checkPaymentNow } from "../modules/payments/check-now.server";
import { getPaymentView } from "../modules/payments/queries.server";
import { redactPaymentView } from "../modules/payments/redact";
import { resendAvailability, resendPromptAsStaff } from "../modules/payments/staff-actions.server";
import { isOpenPayment } from "../modules/ledger/transitions";
import {
  getMoneyOutView,
  isMoneyOutIntent,
  runMoneyOutIntent,
} from "../modules/money-out/view.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.payment ? `${data.payment.orderRef} · ` : ""}Payment · M-Pesa console` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "payments:read");
  const view = await getPaymentView(context.db, params.paymentId ?? "");
  if (!view)
    throwAsResponse(
      new AppError(
        "not_found",
        "There is no payment with this ID. Search by receipt, order reference or phone instead.",
        { status: 404 },
      ),
    );
  const role = session.user.role;
  const unmasked = can(role, "phones:unmasked");
  return json({
    payment: viewFor(viewerOf(role), redactPaymentView(view, unmasked)),
    unmasked,
    live: isOpenPayment(view.status),
    resend: resendAvailability(view),
    moneyOut: can(role, "payments:money_out")
      ? await getMoneyOutView(context, view.id, { userId: session.user.id, role })
      : null,
    can: { act: can(role, "payments:act"), callbacks: can(role, "callbacks:read") },
  });
}

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
};

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "payments:act");
  const paymentId = params.paymentId ?? "";
  // A refused re-send comes back with what was typed, for the form to show again without JavaScript.
  const resend = text(form, "intent") === "resend";
  const values = resend
    ? { intent: "resend", phone: text(form, "phone") ?? "", reason: text(form, "reason") ?? "" }
    : undefined;
  return formAction(
    async () => {
      switch (text(form, "intent")) {
        case "resend": {
          const outcome = await resendPromptAsStaff(
            context,
            paymentId,
            { phone: text(form, "phone"), reason: text(form, "reason") ?? "" },
            actor,
          );
          // M-Pesa refusing the push (e.g. the subscriber is locked) is an answer, not a crash: say it.
          if (!outcome.ok) throw new AppError("push_refused", outcome.message, { status: 409 });
          return { message: outcome.message };
        }
        case "check": {
          const result = await checkPaymentNow(context, paymentId, actor);
          return { message: result.message };
        }
        case "note":
          await addPaymentNote(context.db, actor, paymentId, { note: text(form, "note") ?? "" });
          return { message: "Note added to the timeline." };
        default: {
          // Money out (Transaction Status, reversals): its module knows its intents.
          if (!isMoneyOutIntent(text(form, "intent")))
            throw new AppError("invalid_request", "Unknown action; reload the page and try again.");
          const fields = Object.fromEntries(
            ["intent", "receipt", "reason", "requestId", "note"].map((k) => [k, text(form, k)]),
          );
          const result = await runMoneyOutIntent(context, actor, paymentId, fields);
          return { message: result.message };
        }
      }
      // M-Pesa's answers (a refused push's ResultDesc) are masked for support as the page masks them.
    },
    { viewer: viewerOf(actor), values },
  );
}

export default function PaymentPage() {
  const {
    payment,
    unmasked,
    live,
    resend,
    moneyOut,
    can: allowed,
  } = useLoaderData<typeof loader>();
  const fallback = useActionData<FormResult>(); // only without JavaScript: fetchers carry their own results
  // Also while a Transaction Status or reversal result is on its way from M-Pesa.
  useLiveRevalidation(
    live || !!moneyOut?.requests.some((r) => r.state === "sending" || r.state === "sent"),
  );
  // Where the re-send form is shown, it says its own field errors next to the field.
  const resendForm = allowed.act && (resend.allowed || !resend.final);
  const attemptSeq = Object.fromEntries(payment.attempts.map((a) => [a.id, a.seq]));
  // Daraja's own refusal of the latest push ("M-Pesa is busy; try again…") said to whoever pressed the button.
  const latest = payment.attempts.reduce<(typeof payment.attempts)[number] | null>(
    (a, b) => (!a || b.seq > a.seq ? b : a),
    null,
  );
  const refusal =
    latest?.errorMessage && (latest.status === "failed" || latest.status === "unknown")
      ? latest.errorMessage
      : null;
  return (
    <>
      <p>
        <Link to="/payments">← Payments</Link>
      </p>
      <div className="page-head">
        <h1>
          {formatKes(payment.amount)} for {payment.orderRef} <StatusBadge status={payment.status} />
        </h1>
        {live ? (
          <p className="live" role="status" data-testid="live">
            Waiting for the customer… this page updates by itself.
          </p>
        ) : null}
      </div>
      {refusal ? (
        <p className="banner-warn" role="alert" data-testid="push-refused">
          M-Pesa did not take the prompt: {refusal}
        </p>
      ) : null}
      {fallback && !(resendForm && resendFieldError(fallback)) ? (
        fallback.ok ? (
          <p className="form-ok">{fallback.message}</p>
        ) : (
          <p className="form-error" role="alert">
            {fallback.error.message}
          </p>
        )
      ) : null}
      <div className="grid-2">
        <div>
          <PaymentSummaryCard payment={payment} unmasked={unmasked} />
          <h2>Open exceptions</h2>
          <OpenExceptions exceptions={payment.openExceptions} />
        </div>
        {allowed.act ? (
          <div data-testid="payment-actions">
            <ResendPromptForm
              status={payment.status}
              resend={resend}
              phoneHint={unmasked ? formatPhoneLocal(payment.phone) : payment.phone}
            />
            <CheckStatusForm />
            {moneyOut ? <MoneyOutPanel {...moneyOut} /> : null}
            <NoteForm />
          </div>
        ) : (
          <p className="muted">
            Your role can view this payment; support, finance and admin can act on it.
          </p>
        )}
      </div>
      <h2>Attempts</h2>
      <AttemptsTable attempts={payment.attempts} unmasked={unmasked} />
      <h2>Timeline</h2>
      <PaymentTimeline
        events={payment.timeline}
        attemptSeq={attemptSeq}
        canSeeCallbacks={allowed.callbacks}
      />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
