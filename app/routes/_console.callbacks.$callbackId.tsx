// One stored callback (finance, admin): the raw body exactly as received (escaped, read-only),
// pretty-printed JSON beside it, the headers, source and outcome, the payment, and "re-process"
// for invalid or orphan rows — through the same idempotent path as intake, and audited.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf";
import { ErrorPage } from "../components/error-page";
import { EatTime } from "../components/format";
import { RawBody } from "../components/raw-body";
import { StatusBadge } from "../components/status-badge";
import { AppError } from "../lib/app-error";
import { formAction, throwAsResponse } from "../lib/http.server";
import type { FormResult } from "../lib/form-result";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { getCallback } from "../modules/callbacks/queries.server";
import { isReprocessable, reprocessFromConsole } from "../modules/callbacks/reprocess.server";

export const meta: MetaFunction = ({ params }) => [
  { title: `Callback #${params.callbackId} · M-Pesa console` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "callbacks:read");
  const callback = await getCallback(context.db, Number(params.callbackId));
  if (!callback)
    throwAsResponse(
      new AppError("not_found", "There is no callback with this number.", { status: 404 }),
    );
  const reprocessable = isReprocessable(callback);
  return json({
    callback,
    canReprocess: reprocessable && can(session.user.role, "callbacks:reprocess"),
  });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "callbacks:reprocess");
  return formAction(async () => {
    if (form.get("intent") !== "reprocess")
      throw new AppError("invalid_request", "Unknown action.", { field: "intent" });
    const result = await reprocessFromConsole(context, actor, Number(params.callbackId));
    return { message: result.message, data: { outcome: result.outcome } };
  });
}

export default function CallbackPage() {
  const { callback: c, canReprocess } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle" && navigation.formData?.get("intent") === "reprocess";
  return (
    <>
      <p>
        <Link to="/callbacks">← Callback log</Link>
      </p>
      <h1>
        Callback #{c.id} <StatusBadge status={c.outcome} />
      </h1>
      <div className="card">
        <dl className="facts">
          <dt>Received</dt>
          <dd>
            <EatTime at={c.receivedAt} />
          </dd>
          <dt>Kind</dt>
          <dd>{c.kind}</dd>
          <dt>Outcome</dt>
          <dd>
            {c.outcome}
            {c.outcomeDetail ? ` — ${c.outcomeDetail}` : ""}
          </dd>
          <dt>Processed</dt>
          <dd>
            <EatTime at={c.processedAt} />
          </dd>
          <dt>Payer number</dt>
          <dd>
            {c.phoneKind === null
              ? "—"
              : ({
                  full: "full number",
                  masked: "masked (never used to match or replace a number)",
                  absent: "none in the callback",
                }[c.phoneKind] ?? c.phoneKind)}
          </dd>
          <dt>Source</dt>
          <dd>
            {c.sourceIp ?? "unknown"} ·{" "}
            {c.sourceTrusted === null
              ? "source check off"
              : c.sourceTrusted
                ? "in the allow-list"
                : "outside the allow-list (untrusted)"}
          </dd>
          <dt>Token in URL</dt>
          <dd>{c.tokenValid ? "valid" : "wrong (rejected)"}</dd>
          <dt>CheckoutRequestID</dt>
          <dd className="mono">{c.checkoutRequestId ?? "—"}</dd>
          <dt>Receipt</dt>
          <dd className="mono">{c.receipt ?? "—"}</dd>
          <dt>Payment</dt>
          <dd>
            {c.paymentId ? <Link to={`/payments/${c.paymentId}`}>Open payment</Link> : "none"}
          </dd>
        </dl>
      </div>
      {canReprocess ? (
        <Form method="post" className="card">
          <CsrfInput />
          <input type="hidden" name="intent" value="reprocess" />
          <p>
            Run this callback through intake again (after a fix, or once its attempt exists). It is
            safe to repeat: a callback never books money twice.
          </p>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Re-processing…" : "Re-process"}
          </button>
        </Form>
      ) : null}
      {result && !result.ok ? (
        <p className="form-error" role="alert">
          {result.error.message}
        </p>
      ) : null}
      {result?.ok && result.message ? (
        <p className="form-ok" role="status">
          {result.message}
        </p>
      ) : null}
      <RawBody body={c.body} sizeBytes={c.sizeBytes} />
      <h2>Headers</h2>
      <pre className="raw" data-testid="headers">
        {JSON.stringify(c.headers, null, 2)}
      </pre>
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
