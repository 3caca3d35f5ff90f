// One calm error page for every boundary: a status a person understands, never a stack trace.
import { isRouteErrorResponse, Link, useRouteError } from "@remix-run/react";

const TITLES: Record<number, string> = {
  401: "Please sign in",
  403: "Not allowed",
  404: "Page not found",
  409: "Conflict",
};

export function ErrorPage() {
  const error = useRouteError();
  let status = 500;
  let message =
    "Something went wrong on our side. The error has been logged; try again in a moment.";
  if (isRouteErrorResponse(error)) {
    status = error.status;
    const data = error.data as { error?: { message?: string } } | string | null;
    message =
      (typeof data === "string" ? data : data?.error?.message) || error.statusText || message;
    if (status === 404 && !data) message = "There is nothing at this address.";
  }
  return (
    <main className="error-page" role="alert">
      <p className="error-status">{status}</p>
      <h1>{TITLES[status] ?? "Something went wrong"}</h1>
      <p>{message}</p>
      <p>
        <Link to="/">Back to the console</Link>
      </p>
    </main>
  );
}
