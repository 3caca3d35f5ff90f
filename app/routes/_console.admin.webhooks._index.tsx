// Merchant webhook endpoints (admin only): where signed payment and case events are sent. A new
// endpoint's signing secret is shown once, in the answer to the form that created it. Endpoints that
// are retrying or gave up in the last day are flagged at the top so someone calls the merchant.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormResultBanner } from "../components/form-result";
import type { FormResult } from "../lib/form-result";
import { CsrfInput } from "../components/csrf";
import { EatTime } from "../components/format";
import { EmptyState } from "../components/pager";
import { EndpointFields, NEW_ENDPOINT, SecretOnce } from "../components/webhooks/endpoint-fields";
import { AppError } from "../lib/app-error";
import { formAction } from "../lib/http.server";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { ROLE_LABELS } from "../modules/auth/permissions";
import { createWebhookEndpoint, listWebhookEndpoints } from "../modules/webhooks/endpoints.server";
import { endpointInputFrom } from "../modules/webhooks/form.server";

export const meta: MetaFunction = () => [{ title: "Webhooks · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "webhooks:manage");
  return json({ endpoints: await listWebhookEndpoints(context.db, context.now()) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "webhooks:manage");
  return formAction(async () => {
    if (form.get("intent") !== "create")
      throw new AppError("invalid_request", "Unknown action; reload the page and try again.");
    const { secret, endpoint } = await createWebhookEndpoint(
      context.db,
      context.config,
      endpointInputFrom(form),
      actor,
    );
    return { message: `Endpoint ${endpoint.url} added.`, data: { secret, id: endpoint.id } };
  });
}

export default function WebhooksPage() {
  const { endpoints } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const busy = useNavigation().state === "submitting";
  const created = result?.ok ? (result.data as { secret?: string; id?: string }) : undefined;
  const failing = endpoints.filter((e) => e.failing);
  return (
    <div className="admin-page">
      <h1>Webhooks</h1>
      {failing.length > 0 && (
        <p className="form-error" role="alert" data-testid="failing-endpoints">
          {failing.length === 1 ? "One endpoint is" : `${failing.length} endpoints are`} failing:{" "}
          {failing.map((e, i) => (
            <span key={e.id}>
              {i > 0 && ", "}
              <Link to={`/admin/webhooks/${e.id}`}>{e.url}</Link>
            </span>
          ))}
          . Their events are being retried (up to about three days).
        </p>
      )}
      <FormResultBanner result={result} />
      {created?.secret && (
        <SecretOnce
          secret={created.secret}
          note="Verify each webhook's signature with it (see the README's “Merchant webhooks”)."
        />
      )}
      {endpoints.length === 0 ? (
        <EmptyState>
          No endpoints yet. Add your order system’s URL to hear about every payment without polling.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>URL</th>
                <th>Events</th>
                <th>Payload as</th>
                <th>State</th>
                <th>Last 24 h</th>
                <th>Last attempt (EAT)</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr key={e.id} data-testid={`endpoint-${e.id}`}>
                  <td>
                    <Link to={`/admin/webhooks/${e.id}`} className="mono">
                      {e.url}
                    </Link>
                    {e.description && <div className="muted small">{e.description}</div>}
                  </td>
                  <td className="small">{e.eventTypes.join(", ")}</td>
                  <td>{ROLE_LABELS[e.role]}</td>
                  <td>
                    {!e.enabled ? (
                      <span className="badge badge-cancelled">disabled</span>
                    ) : e.failing ? (
                      <span className="badge badge-failed">failing</span>
                    ) : (
                      <span className="badge badge-paid">healthy</span>
                    )}
                  </td>
                  <td className="small">
                    {e.delivered24h} delivered, {e.failed24h} failed, {e.pending} waiting
                  </td>
                  <td>
                    <EatTime at={e.lastAttemptAt} zone={false} />
                    {e.lastStatusCode != null && (
                      <span className="muted"> · {e.lastStatusCode}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Form method="post" className="card" aria-label="Add an endpoint">
        <h2>Add an endpoint</h2>
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        <EndpointFields defaults={NEW_ENDPOINT} />
        <button type="submit" className="primary" disabled={busy}>
          Add endpoint
        </button>
      </Form>
    </div>
  );
}
