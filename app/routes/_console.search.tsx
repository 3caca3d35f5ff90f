// Global search (the layout's search box GETs /search?q=): one match goes straight to the payment
// (except a masked role's phone search: see search-as.server.ts), several are listed, none explains
// what can be searched.
import { json, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "../components/error-page";
import { EmptyState } from "../components/pager";
import { PaymentTable } from "../components/payment-table";
import { requirePermission } from "../modules/auth/guards.server";
import { isAppError } from "../lib/app-error";
import { maskPhonesInText } from "../lib/msisdn";
import { viewerOf } from "../modules/auth/viewer";
import { redactSummary } from "../modules/payments/redact";
import { searchAs } from "../modules/payments/search-as.server";
import type { SearchHit } from "../modules/payments/search.server";

export const meta: MetaFunction = () => [{ title: "Search · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session, actor } = await requirePermission(context, request, "payments:read");
  const viewer = viewerOf(session.user);
  const q = new URL(request.url).searchParams.get("q") ?? "";
  try {
    const { result, goTo } = await searchAs(context, { actor, viewer }, q);
    if (goTo) return redirect(goTo);
    return json({
      ...result,
      payments: result.payments.map((p) => redactSummary(p, !viewer.masked)),
      unmasked: !viewer.masked,
      error: null as string | null,
    });
  } catch (error) {
    if (!isAppError(error)) throw error;
    return json(
      {
        query: maskPhonesInText(q.slice(0, 200)),
        kinds: [],
        payments: [] as SearchHit[],
        truncated: false,
        unmasked: !viewer.masked,
        error: error.message,
      },
      { status: error.status },
    );
  }
}

export default function Search() {
  const { query, payments, truncated, unmasked, error } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Search</h1>
      <Form method="get" className="filters" role="search">
        <input
          name="q"
          type="search"
          defaultValue={query}
          aria-label="Search payments"
          size={40}
          placeholder="Receipt, CheckoutRequestID, order ref or phone"
        />
        <button type="submit" className="primary">
          Search
        </button>
      </Form>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {!query ? (
        <EmptyState>
          <SearchHelp />
        </EmptyState>
      ) : payments.length ? (
        <>
          <p>
            {payments.length}
            {truncated ? "+" : ""} payments match <strong>{query}</strong>, newest first.
          </p>
          <PaymentTable payments={payments} unmasked={unmasked} />
          {truncated ? (
            <p className="muted">
              Showing the newest {payments.length}. Use the{" "}
              <Link to="/payments">payments list</Link> filters to see them all.
            </p>
          ) : null}
        </>
      ) : (
        <EmptyState>
          <p data-testid="no-results">
            No payment matches <strong>{query}</strong>.
          </p>
          <SearchHelp />
        </EmptyState>
      )}
    </>
  );
}

function SearchHelp() {
  return (
    <div className="muted">
      <p>Paste any one of these, exactly as you have it:</p>
      <ul className="plain">
        <li>
          an M-Pesa receipt, like <span className="mono">SGR7ABC123</span>
        </li>
        <li>
          a CheckoutRequestID (<span className="mono">ws_CO_…</span>) or MerchantRequestID
        </li>
        <li>the order reference, or the account reference the customer's phone showed</li>
        <li>the customer's phone, in any format: 0712 345 678, +254 712 345 678, 254712345678</li>
        <li>
          a masked number as the console shows it, like <span className="mono">0712 ••• •78</span>
        </li>
      </ul>
      <p>
        Only payments requested through this console or its API are found. Money that arrived
        without a prompt is in the <Link to="/exceptions">exception queue</Link>.
      </p>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
