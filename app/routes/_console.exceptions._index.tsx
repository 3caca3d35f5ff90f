// The exception queue: cases by urgency (late successes, money at stake, then age), counts and money at stake per type,
// filters and cursor in the URL, and a streamed CSV of the same filters for finance/admin.
import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { CallbackHealthBanner } from "../components/callback-health-banner";
import { ErrorPage } from "../components/error-page";
import { ExceptionTable, TypeCounts } from "../components/exceptions/exception-list";
import { Money } from "../components/format";
import { EmptyState, Pager } from "../components/pager";
import { isAppError, type AppError } from "../lib/app-error";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { getCallbackHealth } from "../modules/callbacks/health.server";
import { EXCEPTION_TYPE_LIST, typeTitle } from "../modules/exceptions/actions";
import { countOpenExceptions, listExceptions } from "../modules/exceptions/queries.server";

export const meta: MetaFunction = () => [{ title: "Exceptions · M-Pesa console" }];

const STATUS_OPTIONS = [
  ["unresolved", "Needing action"],
  ["open", "Open"],
  ["awaiting_approval", "Awaiting approval"],
  ["resolved", "Resolved"],
  ["all", "All"],
] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "exceptions:read");
  const params = new URL(request.url).searchParams;
  const form = { status: params.get("status") || "unresolved", type: params.get("type") ?? "" };
  const filters = { status: form.status, type: form.type || undefined };

  const base = {
    form,
    now: context.now().toISOString(),
    canExport: can(session.user.role, "exports:csv"),
  };
  // Paid payments the statement does not show are the strongest fraud signal: always on top of page one.
  const showFirst =
    !params.get("cursor") &&
    (!form.type || form.type === "missing_from_statement") &&
    form.status === "unresolved";
  const [counts, health, first] = await Promise.all([
    countOpenExceptions(context.db),
    getCallbackHealth(context),
    showFirst
      ? listExceptions(context.db, {
          status: "unresolved",
          type: "missing_from_statement",
          limit: 20,
        })
      : null,
  ]);
  let page: Awaited<ReturnType<typeof listExceptions>> = { exceptions: [], nextCursor: null };
  let error: AppError | null = null;
  try {
    page = await listExceptions(context.db, {
      ...filters,
      sort: "urgent",
      cursor: params.get("cursor") ?? undefined,
      limit: 50,
    });
  } catch (caught) {
    if (!isAppError(caught)) throw caught;
    error = caught; // a mangled cursor or an unknown type: say so on the page, keep the filters
  }
  return json(
    viewFor(viewerOf(session.user), {
      ...base,
      counts,
      health,
      first: form.type ? [] : (first?.exceptions ?? []),
      rows: page.exceptions,
      nextCursor: page.nextCursor,
      error: error?.message ?? null,
    }),
    { status: error?.status ?? 200 },
  );
}

export default function ExceptionQueue() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  const linkFor = (type: string | null) => {
    const params = new URLSearchParams(location.search);
    params.delete("cursor");
    if (type) params.set("type", type);
    else params.delete("type");
    return `/exceptions${params.size ? `?${params}` : ""}`;
  };
  const exportParams = new URLSearchParams(location.search);
  exportParams.delete("cursor");
  const atStake = data.counts.reduce((n, c) => n + c.amountAtStake, 0);
  return (
    <>
      <div className="page-head">
        <h1>Exceptions</h1>
        {data.canExport ? (
          <Link to={`/exceptions/export.csv?${exportParams}`} className="button" reloadDocument>
            Export CSV
          </Link>
        ) : null}
      </div>
      <CallbackHealthBanner health={data.health} />
      <p className="muted">
        Cases a person must decide, most urgent first: money a customer already paid (late
        successes), then cases with money at stake, oldest first within each.{" "}
        <Money kes={atStake} /> is at stake in the cases still needing action.
      </p>
      {data.first.length ? (
        <div className="banner-warn" data-testid="missing-from-statement">
          <strong>
            Paid, but missing from the M-Pesa statement — check these first (possible forged
            callbacks):
          </strong>
          <ul>
            {data.first.map((x) => (
              <li key={x.id}>
                <Link to={`/exceptions/${x.id}`}>{x.summary}</Link> ·{" "}
                <Money kes={x.amountAtStake} />
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <TypeCounts counts={data.counts} current={data.form.type} linkFor={linkFor} />
      <Form method="get" className="filters">
        <label>
          Status
          <select name="status" defaultValue={data.form.status}>
            {STATUS_OPTIONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" defaultValue={data.form.type}>
            <option value="">All types</option>
            {EXCEPTION_TYPE_LIST.map((t) => (
              <option key={t} value={t}>
                {typeTitle(t)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        <Link to="/exceptions" className="button">
          Reset
        </Link>
      </Form>
      {data.error ? (
        <p className="form-error" role="alert">
          {data.error} <Link to="/exceptions">Start again</Link>
        </p>
      ) : null}
      {data.rows.length === 0 && !data.error ? (
        <EmptyState>
          {data.form.status === "unresolved" && !data.form.type
            ? "Nothing needs deciding: every exception is resolved."
            : "No exceptions match these filters. Try “All” statuses or another type."}
        </EmptyState>
      ) : (
        <ExceptionTable rows={data.rows} now={data.now} />
      )}
      <Pager nextCursor={data.nextCursor} />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
