// Payments: filter, sort and page through payments (state in the URL), counts per status for the
// window shown, and a link to the streamed CSV export of the same filters (payments.export[.csv].ts).
import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useLocation } from "@remix-run/react";
import { ErrorPage } from "../components/error-page";
import { EmptyState, Pager } from "../components/pager";
import { isFilterField, PaymentFilters, StatusCounts } from "../components/payment-filters";
import { PaymentTable } from "../components/payment-table";
import { isAppError, AppError, pageError } from "../lib/app-error";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { formatEatDate } from "../lib/time";
import { parseWith } from "../lib/validation";
import { PaymentCountFiltersSchema, PaymentFiltersSchema } from "../modules/payments/list-filters";
import { DEFAULT_WINDOW_DAYS, paymentListQuery } from "../modules/payments/list-params";
import { countOpenCases, type PaymentSummary } from "../modules/payments/queries.server";
import { listPaymentsAs } from "../modules/payments/search-as.server";
import { COUNT_CAP, countPaymentsByStatus } from "../modules/payments/counts.server";
import { redactSummary } from "../modules/payments/redact";

export const meta: MetaFunction = () => [{ title: "Payments · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session, actor } = await requirePermission(context, request, "payments:read");
  const url = new URL(request.url);
  const role = session.user.role;
  const unmasked = can(role, "phones:unmasked");
  const query = paymentListQuery(url.searchParams, context.now());

  const base = {
    form: query.form,
    defaultWindow: query.defaultWindow,
    unmasked,
    canExport: can(role, "exports:csv"),
    canRequest: can(role, "payments:request"),
    countCap: COUNT_CAP,
  };
  try {
    if (query.error)
      throw new AppError("invalid_request", query.error.message, { field: query.error.field });
    const limit = url.searchParams.get("limit");
    const pageSize = PaymentFiltersSchema.shape.limit.unwrap();
    if (limit !== null && !pageSize.safeParse(limit).success)
      throw new AppError(
        "invalid_request",
        `The page size (“limit” in the address) must be a whole number from ${pageSize.minValue} to ${pageSize.maxValue}.`,
        { field: "limit" },
      );
    const filters = parseWith(PaymentFiltersSchema, {
      ...query.filters,
      cursor: url.searchParams.get("cursor") ?? undefined,
      limit: limit ?? undefined,
    });
    const countFilters = parseWith(PaymentCountFiltersSchema, query.filters);
    const [page, counts] = await Promise.all([
      listPaymentsAs(context, { actor, viewer: viewerOf(role) }, filters),
      countPaymentsByStatus(context.db, countFilters),
    ]);
    const cases = await countOpenCases(
      context.db,
      page.payments.map((p) => p.id),
    );
    return json({
      ...base,
      payments: page.payments.map((p) => ({
        ...redactSummary(p, unmasked),
        openCases: cases[p.id] ?? 0,
      })),
      nextCursor: page.nextCursor,
      counts,
      error: null,
    });
  } catch (error) {
    if (!isAppError(error)) throw error;
    return json(
      {
        ...base,
        payments: [] as (PaymentSummary & { openCases: number })[],
        nextCursor: null,
        counts: null,
        error: viewFor(viewerOf(role), pageError(error)),
      },
      { status: error.status },
    );
  }
}

const day = (d: string) => formatEatDate(`${d}T00:00:00+03:00`);

/** The list as it is, less one bad parameter (and the cursor, which belongs to the old list). */
function without(search: string, name: string): string {
  const params = new URLSearchParams(search);
  params.delete(name);
  params.delete("cursor");
  return params.size ? `/payments?${params}` : "/payments";
}

function windowNote(form: { from: string; to: string }, defaultWindow: boolean): string {
  if (defaultWindow)
    return `Showing the last ${DEFAULT_WINDOW_DAYS} days, from ${day(form.from)} (East Africa Time). Pick dates to see older payments.`;
  if (!form.from && !form.to)
    return "Showing every payment with this phone, order reference or receipt, all time.";
  return `Showing payments created ${form.from ? `from ${day(form.from)} ` : ""}${form.to ? `to ${day(form.to)}` : "to now"} (East Africa Time).`;
}

export default function Payments() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  const filtered = [...new URLSearchParams(location.search).keys()].some(
    (k) => k !== "cursor" && k !== "sort",
  );
  const exportParams = new URLSearchParams(location.search);
  exportParams.delete("cursor");
  return (
    <>
      <div className="page-head">
        <h1>Payments</h1>
        <div className="actions">
          {data.canRequest ? (
            <Link to="/payments/new" className="button primary">
              Request payment
            </Link>
          ) : null}
          {data.canExport ? (
            <Link to={`/payments/export.csv?${exportParams}`} className="button" reloadDocument>
              Export CSV
            </Link>
          ) : null}
        </div>
      </div>
      <PaymentFilters form={data.form} error={data.error} />
      {data.error && !isFilterField(data.error.field) ? (
        // Not a box of the form (the cursor, the page size, …): said here, with the way out.
        <p className="form-error" role="alert" data-field={data.error.field ?? ""}>
          {data.error.message}{" "}
          {data.error.field ? (
            <Link to={without(location.search, data.error.field)}>
              {data.error.field === "cursor" ? "First page" : "Show the list without it"}
            </Link>
          ) : (
            <Link to="/payments">Start over</Link>
          )}
        </p>
      ) : null}
      <p className="muted" data-testid="window-note">
        {windowNote(data.form, data.defaultWindow)} Counts cover the same dates and filters, every
        status.
      </p>
      {data.counts ? (
        <StatusCounts
          counts={data.counts.counts}
          total={data.counts.total}
          current={data.form.status}
          cap={data.counts.capped ? data.countCap : null}
        />
      ) : null}
      {data.payments.length ? (
        <>
          <PaymentTable payments={data.payments} unmasked={data.unmasked} />
          <Pager nextCursor={data.nextCursor} />
        </>
      ) : data.error ? null : (
        <EmptyState>
          {filtered ? (
            <p>
              No payments match these filters. Widen the dates, clear a filter, or{" "}
              <Link to="/payments">start over</Link>.
            </p>
          ) : (
            <p>
              No payments in the last {DEFAULT_WINDOW_DAYS} days. Pick earlier dates above
              {data.canRequest ? (
                <>
                  , or <Link to="/payments/new">request a payment</Link> from a customer
                </>
              ) : null}
              .
            </p>
          )}
          <p className="muted">
            Looking for one payment? Paste its receipt, order reference or phone number in the
            search box at the top.
          </p>
        </EmptyState>
      )}
    </>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
