// The exception queue: cases by urgency (late successes, money at stake, then age), counts and money at stake per type,
// ageing buckets, filters (status, type, age, amount, EAT day) and cursor in the URL, a streamed CSV of
// the same filters, and (finance/admin) the way into a bulk action on the filtered or ticked cases.
import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { CallbackHealthBanner } from "../components/callback-health-banner";
import { ErrorPage } from "../components/error-page";
import { ExceptionTable, TypeCounts } from "../components/exceptions/exception-list";
import { Money } from "../components/format";
import { EmptyState, Pager } from "../components/pager";
import { isAppError, pageError, type AppError } from "../lib/app-error";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { getCallbackHealth } from "../modules/callbacks/health.server";
import {
  AgeingCards,
  BulkSelectForm,
  QueueFilterForm,
} from "../components/exceptions/queue-filters";
import {
  countByAge,
  type AgeingBucket,
  countOpenExceptions,
  listExceptions,
} from "../modules/exceptions/queries.server";
import {
  parseQueueFilters,
  queueFilterForm,
  type QueueFilters,
} from "../modules/exceptions/queue-filters";

export const meta: MetaFunction = () => [{ title: "Exceptions · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "exceptions:read");
  const params = new URL(request.url).searchParams;
  const form = queueFilterForm(params);
  const now = context.now();
  let filters: QueueFilters | null = null;
  let error: AppError | null = null;
  try {
    filters = parseQueueFilters(params);
  } catch (caught) {
    if (!isAppError(caught)) throw caught;
    error = caught; // a hostile or mistyped query string: say which field, keep the page
  }
  const base = {
    form,
    now: now.toISOString(),
    canExport: can(session.user.role, "exports:csv"),
    canBulk: can(session.user.role, "exceptions:resolve"),
  };
  // Paid payments the statement does not show are the strongest fraud signal: always on top of page one.
  const showFirst =
    !params.get("cursor") &&
    (!form.type || form.type === "missing_from_statement") &&
    form.status === "unresolved" &&
    !form.age &&
    !form.minKes &&
    !form.maxKes &&
    !form.day;
  const [counts, health, first, ageing] = await Promise.all([
    countOpenExceptions(context.db),
    getCallbackHealth(context),
    showFirst
      ? listExceptions(context.db, {
          status: "unresolved",
          type: "missing_from_statement",
          limit: 20,
        })
      : null,
    filters ? countByAge(context.db, filters, now) : ([] as AgeingBucket[]),
  ]);
  let page: Awaited<ReturnType<typeof listExceptions>> = { exceptions: [], nextCursor: null };
  try {
    if (filters)
      page = await listExceptions(
        context.db,
        { ...filters, sort: "urgent", cursor: params.get("cursor")?.trim() || undefined },
        now,
      );
  } catch (caught) {
    if (!isAppError(caught)) throw caught;
    error = caught; // a mangled cursor: say so on the page, keep the filters
  }
  return json(
    viewFor(viewerOf(session.user), {
      ...base,
      counts,
      health,
      ageing,
      first: form.type ? [] : (first?.exceptions ?? []),
      rows: page.exceptions,
      nextCursor: page.nextCursor,
      error: error ? pageError(error) : null,
    }),
    { status: error?.status ?? 200 },
  );
}

export default function ExceptionQueue() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  const linkWith = (key: string) => (value: string | null) => {
    const params = new URLSearchParams(location.search);
    params.delete("cursor");
    if (value) params.set(key, value);
    else params.delete(key);
    return `/exceptions${params.size ? `?${params}` : ""}`;
  };
  const linkFor = linkWith("type");
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
      <AgeingCards ageing={data.ageing} current={data.form.age} linkFor={linkWith("age")} />
      <QueueFilterForm form={data.form} />
      {data.canBulk ? <BulkSelectForm form={data.form} rows={data.rows.length} /> : null}
      {data.error ? (
        <p className="form-error" role="alert">
          {data.error.message} <Link to="/exceptions">Start again</Link>
        </p>
      ) : null}
      {data.rows.length === 0 && !data.error ? (
        <EmptyState>
          {data.form.status === "unresolved" &&
          !Object.entries(data.form).some(([k, v]) => k !== "status" && v)
            ? "Nothing needs deciding: every exception is resolved."
            : "No exceptions match these filters. Try “All” statuses or another type."}
        </EmptyState>
      ) : (
        <ExceptionTable rows={data.rows} now={data.now} selectable={data.canBulk} />
      )}
      <Pager nextCursor={data.nextCursor} />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
