import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { ErrorPage } from "../components/error-page";
import { navFor } from "../components/navigation";
import { requireUser } from "../modules/auth/guards.server";
import { ROLE_LABELS } from "../modules/auth/permissions";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requireUser(context, request);
  return json({
    user: session.user,
    csrfToken: session.csrfToken,
    environment: context.config.mpesa.environment,
    merchantName: context.config.mpesa.merchantName,
  });
}

const ENVIRONMENT_LABELS = {
  simulator: "SIMULATOR — no real money moves",
  sandbox: "SANDBOX — Safaricom test system",
  production: "PRODUCTION — live money",
} as const;

export default function ConsoleLayout() {
  const { user, environment, merchantName, csrfToken } = useLoaderData<typeof loader>();
  const items = navFor(user.role);
  return (
    <div className="shell">
      <div className={`env-banner env-${environment}`} data-testid="environment-banner">
        {ENVIRONMENT_LABELS[environment]}
      </div>
      <header className="topbar">
        <a href="/" className="brand">
          {merchantName} · M-Pesa console
        </a>
        <Form method="get" action="/search" className="global-search" role="search">
          <input
            name="q"
            type="search"
            placeholder="Receipt, CheckoutRequestID, order ref or phone"
            aria-label="Search payments"
          />
        </Form>
        <div className="whoami">
          <Link to="/account" title="Your account: change your password">
            {user.name}
          </Link>{" "}
          <span className="role-pill">{ROLE_LABELS[user.role]}</span>
          <Form method="post" action="/logout">
            <input type="hidden" name="csrf" value={csrfToken} />
            <button type="submit" className="link">
              Sign out
            </button>
          </Form>
        </div>
      </header>
      <nav className="sidenav" aria-label="Main">
        {(["work", "admin"] as const).map((group) => {
          const groupItems = items.filter((i) => i.group === group);
          if (!groupItems.length) return null;
          return (
            <ul key={group} data-group={group}>
              {group === "admin" ? <li className="nav-heading">Administration</li> : null}
              {groupItems.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.to === "/" || item.to === "/payments"}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          );
        })}
      </nav>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

export function ErrorBoundary() {
  return (
    <div className="content">
      <ErrorPage />
    </div>
  );
}
