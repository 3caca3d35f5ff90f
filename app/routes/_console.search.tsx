// Global search (the layout's search box GETs /search?q=): one match goes straight to the payment,
// several are listed, none explains what can be searched.
import { json, redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "../components/error-page";
import { EmptyState } from "../components/pager";
import { PaymentTable } from "../components/payment-table";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { redactSummary } from "../modules/payments/redact";
import { searchPayments } from "../modules/payments/search.server";

export const meta: MetaFunction = () => [{ title: "Search · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "payments:read");
  const q = new URL(request.url).searchParams.get("q") ?? "";
  const result = await searchPayments(context.db, q);
  if (result.payments.length === 1 && !result.truncated)
    return redirect(`/payments/${result.payments[0].id}`);
  const unmasked = can(session.user.role, "phones:unmasked");
  return json({
    ...result,
    payments: result.payments.map((p) => redactSummary(p, unmasked)),
    unmasked,
  });
}

export default function Search() {
  const { query, payments, truncated, unmasked } = useLoaderData<typeof loader>();
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
        <li>the order reference</li>
        <li>the customer's phone, in any format: 0712 345 678, +254 712 345 678, 254712345678</li>
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
