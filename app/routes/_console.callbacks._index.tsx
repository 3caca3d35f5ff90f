// The raw callback log (finance, admin): every stored callback, newest first, filtered by outcome
// and time (EAT), cursor pages in the URL, and a link to the CSV of the same filters
// (_console.callbacks.export[.csv].ts).
import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { CallbackHealthBanner } from "../components/callback-health-banner";
import { ErrorPage } from "../components/error-page";
import { EatTime } from "../components/format";
import { EmptyState, Pager } from "../components/pager";
import { StatusBadge } from "../components/status-badge";
import { AppError, isAppError, pageError, type PageError } from "../lib/app-error";
import { parseWith } from "../lib/validation";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { getCallbackHealth } from "../modules/callbacks/health.server";
import { CallbackFiltersSchema, callbackListQuery } from "../modules/callbacks/list-params";
import { listCallbacks } from "../modules/callbacks/queries.server";

export const meta: MetaFunction = () => [{ title: "Callback log · M-Pesa console" }];

const OUTCOMES = [
  "applied",
  "duplicate",
  "conflict",
  "orphan",
  "invalid",
  "rejected",
  "refused",
  "received",
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "callbacks:read");
  const params = new URL(request.url).searchParams;
  const query = callbackListQuery(params);
  let page: Awaited<ReturnType<typeof listCallbacks>> = { callbacks: [], nextCursor: null };
  let error: PageError | null = query.error
    ? pageError(new AppError("invalid_request", query.error, { field: "from" }))
    : null;
  if (!error) {
    try {
      const filters = parseWith(CallbackFiltersSchema, {
        ...query.filters,
        cursor: params.get("cursor") ?? undefined,
      });
      page = await listCallbacks(context.db, filters);
    } catch (caught) {
      if (!isAppError(caught)) throw caught;
      error = pageError(caught);
    }
  }
  // The list shows a preview; the full body is on each callback's page.
  const rows = page.callbacks.map(({ body, headers: _headers, ...c }) => ({
    ...c,
    preview: body.slice(0, 160),
  }));
  const health = await getCallbackHealth(context);
  return json(
    {
      form: query.form,
      rows,
      nextCursor: page.nextCursor,
      health,
      canExport: can(session.user.role, "exports:csv"),
      error,
    },
    { status: error ? 400 : 200 },
  );
}

export default function CallbackLog() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  const exportParams = new URLSearchParams(location.search);
  exportParams.delete("cursor");
  return (
    <>
      <div className="page-head">
        <h1>Callback log</h1>
        {data.canExport ? (
          <Link to={`/callbacks/export.csv?${exportParams}`} className="button" reloadDocument>
            Export CSV
          </Link>
        ) : null}
      </div>
      <CallbackHealthBanner health={data.health} />
      <p className="muted">
        Every request M-Pesa sent to our callback URL, stored byte for byte before it was read.
        Newest first; times in East Africa Time.
      </p>
      <Form method="get" className="filters">
        <label>
          Search
          <input
            type="search"
            name="q"
            defaultValue={data.form.q}
            placeholder="CheckoutRequestID, receipt or any text of the body"
          />
        </label>
        <label>
          Outcome
          <select name="outcome" defaultValue={data.form.outcome}>
            <option value="">Any outcome</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (EAT)
          <input type="datetime-local" name="from" defaultValue={data.form.from} />
        </label>
        <label>
          To (EAT)
          <input type="datetime-local" name="to" defaultValue={data.form.to} />
        </label>
        <button type="submit">Filter</button>
        <Link to="/callbacks" className="button">
          Reset
        </Link>
      </Form>
      {data.error ? (
        <p className="form-error" role="alert">
          {data.error.message} <Link to="/callbacks">Start again</Link>
        </p>
      ) : null}
      {data.rows.length === 0 && !data.error ? (
        <EmptyState>No callbacks match. Widen the time window or pick another outcome.</EmptyState>
      ) : null}
      {data.rows.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Received (EAT)</th>
                <th>Outcome</th>
                <th>CheckoutRequestID</th>
                <th>Receipt</th>
                <th>Detail</th>
                <th>Payment</th>
                <th>Body</th>
              </tr>
            </thead>
            <tbody>
              {data.rows.map((c) => (
                <tr key={c.id} data-callback-id={c.id}>
                  <td>
                    <Link to={`/callbacks/${c.id}`}>
                      <EatTime at={c.receivedAt} zone={false} />
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={c.outcome} />
                    {c.sourceTrusted === false ? (
                      <div className="muted">untrusted source</div>
                    ) : null}
                  </td>
                  <td className="mono">{c.checkoutRequestId ?? "—"}</td>
                  <td className="mono">{c.receipt ?? "—"}</td>
                  <td>{c.outcomeDetail ?? ""}</td>
                  <td>
                    {c.paymentId ? (
                      <Link to={`/payments/${c.paymentId}`}>Open payment</Link>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td className="mono">
                    {c.preview}
                    {c.sizeBytes > 160 ? "…" : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager nextCursor={data.nextCursor} />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
