// One exception: what happened in plain words, the evidence, where the case stands (proposal,
// resolution), and — for finance and admin — the actions that fit its type and state.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getNextOpenException } from "../modules/exceptions/queries.server";
import { ErrorPage } from "../components/error-page";
import { ACTION_FORM_FIELDS, ExceptionActions } from "../components/exceptions/exception-actions";
import {
  CallbackEvidence,
  LineList,
  PaymentEvidence,
} from "../components/exceptions/exception-evidence";
import { Money } from "../components/format";
import {
  ExceptionHeader,
  ProposalState,
  ResolutionState,
} from "../components/exceptions/exception-state";
import { AppError } from "../lib/app-error";
import { formAction, throwAsResponse } from "../lib/http.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import {
  actionLabel,
  actionsFor,
  typeTitle,
  type ActionContext,
} from "../modules/exceptions/actions";
import { getExceptionCase } from "../modules/exceptions/case-view.server";
import { redactCase } from "../modules/exceptions/redact-case";
import { parseResolveInput } from "../modules/exceptions/resolve-input";
import { resolveException } from "../modules/exceptions/resolve.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? typeTitle(data.exception.type) : "Exception"} · M-Pesa console` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "exceptions:read");
  const found = await getExceptionCase(context.db, params.exceptionId ?? "");
  if (!found)
    throwAsResponse(
      new AppError(
        "not_found",
        "There is no exception with this ID. Find it from the exception queue.",
        { status: 404 },
      ),
    );
  const role = session.user.role;
  const x = found.exception;
  const actions = actionsFor(
    {
      type: x.type as ActionContext["type"],
      status: x.status as ActionContext["status"],
      proposedByUserId: x.proposedByUserId,
      paymentStatus: found.payment?.status ?? null,
      canQuery: found.canQuery,
    },
    { userId: session.user.id, canResolve: can(role, "exceptions:resolve") },
  );
  return json({
    ...viewFor(viewerOf(role), redactCase(found, can(role, "phones:unmasked"))),
    actions,
    viewerId: session.user.id,
    unmasked: can(role, "phones:unmasked"),
    canOpenCallbacks: can(role, "callbacks:read"),
  });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "exceptions:resolve");
  // A refusal carries what was typed (and the intent: which form), so the pressed form shows it again
  // without JavaScript. Nothing typed, nothing to give back.
  const typed = ACTION_FORM_FIELDS.filter((k) => k !== "intent")
    .map((k) => [k, String(form.get(k) ?? "")])
    .filter(([, v]) => v !== "");
  const values = typed.length
    ? { intent: String(form.get("intent") ?? ""), ...Object.fromEntries(typed) }
    : undefined;
  return formAction(
    async () => {
      const result = await resolveException(
        context,
        actor,
        params.exceptionId ?? "",
        parseResolveInput(Object.fromEntries(form)),
      );
      // After a decision, the queue's next most urgent case, so finance can keep going.
      const next = await getNextOpenException(context.db, params.exceptionId ?? "");
      return { message: result.message, data: { status: result.status, next } };
    },
    { values },
  );
}

export default function ExceptionPage() {
  const data = useLoaderData<typeof loader>();
  const x = data.exception;
  return (
    <>
      <p>
        <Link to="/exceptions">← Exception queue</Link>
      </p>
      <ExceptionHeader x={x} />
      <ProposalState x={x} names={data.names} viewerId={data.viewerId} />
      <ResolutionState x={x} names={data.names} />
      <ExceptionActions
        actions={data.actions}
        proposedByViewer={x.proposedByUserId === data.viewerId}
      />
      <h2>Evidence</h2>
      {data.masked ? (
        <p className="muted">Phone numbers are masked for your role, in the callback bodies too.</p>
      ) : null}
      <PaymentEvidence payment={data.payment} attempts={data.attempts} unmasked={data.unmasked} />
      {data.receipt ? (
        <div className="card" data-testid="receipt-evidence">
          <h2>Receipt {data.receipt.receipt}</h2>
          <p>
            <Money kes={data.receipt.amount} />;{" "}
            {data.receipt.paymentId ? (
              <Link to={`/payments/${data.receipt.paymentId}`}>on a payment</Link>
            ) : (
              "on no payment yet"
            )}
            {data.receipt.reversedBy ? `; reversed by ${data.receipt.reversedBy}` : ""}.
          </p>
        </div>
      ) : null}
      <CallbackEvidence callbacks={data.callbacks} canOpen={data.canOpenCallbacks} />
      <LineList
        title="STK Query answers"
        lines={data.queries}
        empty="M-Pesa has not been queried about this attempt."
        testId="queries"
      />
      <LineList
        title="History of this case"
        lines={data.history.map((h) => ({
          at: h.at,
          actor: h.actor,
          summary: `${actionLabel(h.action.replace(/^exception\./, ""))}${h.note ? ` — ${h.note}` : ""}`,
        }))}
        empty="No one has acted on this case yet."
        testId="history"
      />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
