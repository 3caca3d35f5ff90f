// One statement import: its period, statement vs system paid-in per EAT day, counts by match state and
// exceptions by type, and the lines themselves (filtered by state, keyset pages) with proposals to confirm.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { ErrorPage } from "../components/error-page";
import { EatTime, Money } from "../components/format";
import { EmptyState, Pager } from "../components/pager";
import { eatDay } from "../lib/time";
import { DayStatusTable } from "../components/reconciliation/day-status";
import { ImportProgress, importIsRunning } from "../components/reconciliation/import-progress";
import { StatementLineTable } from "../components/reconciliation/statement-lines";
import { useLiveRevalidation } from "../components/use-live-revalidation";
import { isAppError, AppError, notFound, pageError } from "../lib/app-error";
import { errorJson, formAction } from "../lib/http.server";
import type { FormResult } from "../lib/form-result";
import { parseWith } from "../lib/validation";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { typeTitle } from "../modules/exceptions/actions";
import { getDayStatuses } from "../modules/reconciliation/days.server";
import { confirmProposedMatch } from "../modules/reconciliation/proposals.server";
import { MATCH_STATES } from "../modules/reconciliation/match-states";
import { LineFiltersSchema } from "../modules/reconciliation/list-params";
import { getStatementImport, listStatementLines } from "../modules/reconciliation/queries.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.imp.fileName ?? "Statement"} · Reconciliation` },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "statements:read");
  const imp = await getStatementImport(context.db, params.importId ?? "");
  if (!imp) throw errorJson(notFound("That statement import"));
  const search = new URL(request.url).searchParams;
  const state = search.get("state") || "all";
  let page: Awaited<ReturnType<typeof listStatementLines>> = { lines: [], nextCursor: null };
  let error: AppError | null = null;
  try {
    const query = parseWith(LineFiltersSchema, {
      state,
      cursor: search.get("cursor") ?? undefined,
    });
    page = await listStatementLines(context.db, imp.id, query);
  } catch (caught) {
    if (!isAppError(caught)) throw caught;
    error = caught; // an unknown state or a mangled cursor: say so, keep the page
  }
  const days = imp.days ? await getDayStatuses(context.db, imp.days.from, imp.days.to) : [];
  const role = session.user.role;
  return json(
    {
      imp,
      days,
      state,
      lines: page.lines,
      nextCursor: page.nextCursor,
      error: error ? pageError(error) : null,
      canConfirm: can(role, "statements:import"),
      canSignOff: can(role, "reconciliation:signoff"),
      today: eatDay(context.now()),
      unmaskPhones: can(role, "phones:unmasked"),
    },
    { status: error?.status ?? 200 },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  return formAction(async () => {
    const { actor, form } = await requireStaffAction(context, request, "statements:import");
    if (form.get("intent") !== "confirm") throw new AppError("invalid_request", "Unknown action.");
    const result = await confirmProposedMatch(context, Number(form.get("lineId")), actor);
    return { message: result.message, data: { paymentId: result.paymentId } };
  });
}

export default function StatementImportPage() {
  const {
    imp,
    days,
    state,
    lines,
    nextCursor,
    error,
    canConfirm,
    canSignOff,
    unmaskPhones,
    today,
  } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const location = useLocation();
  const total = Object.values(imp.counts).reduce((a, b) => a + b, 0);
  useLiveRevalidation(importIsRunning(imp.state), 1000);
  const stateLink = (s: string) => `${location.pathname}${s === "all" ? "" : `?state=${s}`}`;
  return (
    <>
      <div className="page-head">
        <h1>{imp.fileName}</h1>
        <Link to="/reconciliation" className="button">
          All imports
        </Link>
      </div>
      {result && !result.ok ? (
        <p className="form-error" role="alert">
          {result.error.message}
        </p>
      ) : null}
      {result?.ok ? (
        <p className="form-ok" role="status">
          {result.message}
        </p>
      ) : null}
      <ImportProgress progress={imp.progress} error={imp.error} />
      {imp.summary?.totalsWarning ? (
        <p className="banner-warn">{imp.summary.totalsWarning}</p>
      ) : null}
      <div className="grid-2">
        <dl className="facts card">
          <dt>Period</dt>
          <dd>
            {imp.periodFrom ? (
              <>
                <EatTime at={imp.periodFrom} /> – <EatTime at={imp.periodTo} />
              </>
            ) : (
              "not stated in the file"
            )}
          </dd>
          <dt>Account</dt>
          <dd>
            {[imp.accountHolder, imp.shortCode && `short code ${imp.shortCode}`, imp.account]
              .filter(Boolean)
              .join(", ") || "—"}
          </dd>
          <dt>Imported</dt>
          <dd>
            <EatTime at={imp.importedAt} /> by {imp.importedBy}
          </dd>
          <dt>Lines</dt>
          <dd>
            {imp.lineCount.toLocaleString("en-KE")} in the file,{" "}
            {imp.newLineCount.toLocaleString("en-KE")} new (
            {imp.layout === "legacy11" ? "2010 layout" : "current layout"})
          </dd>
          <dt>Totals</dt>
          <dd>
            Paid in <Money kes={imp.summary?.paidInKes ?? 0} />, withdrawn{" "}
            <Money kes={imp.summary?.withdrawnKes ?? 0} />
          </dd>
        </dl>
        <div className="card">
          <strong>Exceptions from this statement</strong>
          {imp.exceptions.length ? (
            <ul>
              {imp.exceptions.map((x) => (
                <li key={x.type}>
                  <Link to={`/exceptions?type=${x.type}`}>{typeTitle(x.type)}</Link>: {x.open} open
                  of {x.total}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">None.</p>
          )}
        </div>
      </div>
      <h2>By day (EAT)</h2>
      {days.length ? (
        <DayStatusTable days={days} canSignOff={canSignOff} today={today} />
      ) : (
        <EmptyState>No days to show.</EmptyState>
      )}
      <h2>Lines</h2>
      <nav className="counts" aria-label="Filter lines by state">
        <Link to={stateLink("all")} aria-current={state === "all" ? "page" : undefined}>
          All ({total.toLocaleString("en-KE")})
        </Link>
        {MATCH_STATES.filter((s) => imp.counts[s] > 0).map((s) => (
          <Link key={s} to={stateLink(s)} aria-current={state === s ? "page" : undefined}>
            {s} ({imp.counts[s].toLocaleString("en-KE")})
          </Link>
        ))}
      </nav>
      {error ? (
        <p className="form-error" role="alert">
          {error.message} <Link to={location.pathname}>Show all lines</Link>
        </p>
      ) : null}
      {lines.length ? (
        <StatementLineTable lines={lines} canConfirm={canConfirm} unmaskPhones={unmaskPhones} />
      ) : error ? null : (
        <EmptyState>No lines in this state.</EmptyState>
      )}
      <Pager nextCursor={nextCursor} />
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
