// One webhook endpoint (admin only): its recent deliveries with the bodies sent, resend one, replay
// every event since a time, send a test event, edit it, rotate its secret (the old one keeps signing
// for the overlap chosen) or delete it. Every change is in the staff audit (webhooks/*.server.ts).
import {
  json,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormResultBanner } from "../components/form-result";
import type { FormResult } from "../lib/form-result";
import { CsrfInput } from "../components/csrf";
import { ErrorPage } from "../components/error-page";
import { EatTime } from "../components/format";
import { EmptyState } from "../components/pager";
import { DeliveriesTable } from "../components/webhooks/deliveries-table";
import { EndpointFields, SecretOnce } from "../components/webhooks/endpoint-fields";
import { AppError } from "../lib/app-error";
import { formAction, throwAsResponse } from "../lib/http.server";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import {
  listDeliveries,
  replaySince,
  resendDelivery,
  sendTestEvent,
} from "../modules/webhooks/console.server";
import {
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  rotateWebhookSecret,
  setWebhookEndpointEnabled,
  updateWebhookEndpoint,
} from "../modules/webhooks/endpoints.server";
import { endpointInputFrom } from "../modules/webhooks/form.server";

export const meta: MetaFunction = () => [{ title: "Webhook endpoint · M-Pesa console" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "webhooks:manage");
  const id = params.endpointId ?? "";
  const endpoint = await getWebhookEndpoint(context.db, id).catch(throwAsResponse);
  return json({ endpoint, deliveries: await listDeliveries(context.db, id) });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "webhooks:manage");
  const id = params.endpointId ?? "";
  const now = context.now();
  return formAction(async () => {
    switch (form.get("intent")) {
      case "update":
        await updateWebhookEndpoint(
          context.db,
          context.config,
          id,
          endpointInputFrom(form),
          actor,
          now,
        );
        return { message: "Endpoint saved." };
      case "enable":
      case "disable":
        await setWebhookEndpointEnabled(
          context.db,
          id,
          form.get("intent") === "enable",
          actor,
          now,
        );
        return {
          message: form.get("intent") === "enable" ? "Endpoint enabled." : "Endpoint disabled.",
        };
      case "rotate": {
        const overlapHours = String(form.get("overlapHours") ?? "24");
        const { secret } = await rotateWebhookSecret(context.db, id, { overlapHours }, actor, now);
        return { message: "Secret rotated.", data: { secret } };
      }
      case "test":
        await sendTestEvent(context.db, id, actor, now);
        return { message: "Test event queued; it appears below within a few seconds." };
      case "resend":
        await resendDelivery(context.db, id, Number(form.get("deliveryId")), actor);
        return { message: "Delivery queued again (same webhook-id)." };
      case "replay": {
        const since = String(form.get("since") ?? "");
        const queued = await replaySince(context.db, id, { since }, actor, now);
        return { message: `${queued} event${queued === 1 ? "" : "s"} queued for replay.` };
      }
      case "delete":
        await deleteWebhookEndpoint(context.db, id, actor);
        return redirect("/admin/webhooks");
      default:
        throw new AppError("invalid_request", "Unknown action; reload the page and try again.");
    }
  });
}

export default function WebhookEndpointPage() {
  const { endpoint: e, deliveries } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const busy = useNavigation().state === "submitting";
  const rotated = result?.ok ? (result.data as { secret?: string } | undefined) : undefined;
  return (
    <div className="admin-page">
      <p>
        <Link to="/admin/webhooks">← Webhooks</Link>
      </p>
      <h1 className="mono">{e.url}</h1>
      <FormResultBanner result={result} />
      {rotated?.secret && (
        <SecretOnce
          secret={rotated.secret}
          note="Until the overlap ends, each webhook carries signatures from both the old and the new secret."
        />
      )}
      <div className="card filters">
        <Form method="post" className="inline-form">
          <CsrfInput />
          <button type="submit" name="intent" value="test" disabled={busy}>
            Send test event
          </button>
        </Form>
        <Form method="post" className="inline-form">
          <CsrfInput />
          <button
            type="submit"
            name="intent"
            value={e.enabled ? "disable" : "enable"}
            disabled={busy}
          >
            {e.enabled ? "Disable" : "Enable"}
          </button>
        </Form>
        <Form method="post" className="inline-form" aria-label="Rotate the signing secret">
          <CsrfInput />
          <label>
            Old secret keeps signing for (hours){" "}
            <input name="overlapHours" type="number" min={0} max={168} defaultValue={24} />
          </label>{" "}
          <button type="submit" name="intent" value="rotate" disabled={busy}>
            Rotate secret
          </button>
        </Form>
        {e.previousSecretUntil && new Date(e.previousSecretUntil) > new Date() && (
          <p className="small muted">
            The previous secret signs too until <EatTime at={e.previousSecretUntil} />.
          </p>
        )}
      </div>
      <h2>Deliveries</h2>
      <Form method="post" className="inline-form" aria-label="Replay events">
        <CsrfInput />
        <label>
          Replay every event since (EAT) <input name="since" type="datetime-local" required />
        </label>{" "}
        <button type="submit" name="intent" value="replay" disabled={busy}>
          Replay
        </button>
      </Form>
      {deliveries.length === 0 ? (
        <EmptyState>Nothing sent to this endpoint yet. Send a test event to try it.</EmptyState>
      ) : (
        <DeliveriesTable deliveries={deliveries} busy={busy} />
      )}
      <Form method="post" className="card" aria-label="Edit the endpoint">
        <h2>Settings</h2>
        <CsrfInput />
        <input type="hidden" name="intent" value="update" />
        <EndpointFields defaults={e} />
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
      </Form>
      <Form
        method="post"
        onSubmit={(event) => {
          if (!confirm("Delete this endpoint and its delivery history?")) event.preventDefault();
        }}
      >
        <CsrfInput />
        <button type="submit" name="intent" value="delete" className="danger" disabled={busy}>
          Delete endpoint
        </button>
      </Form>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
