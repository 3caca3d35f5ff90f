// API keys for merchants' own systems (admin only). A new key is shown once, in the answer to the
// form that created it, and never again: the database keeps only its hash (auth/api-keys.server.ts).
// Revoking takes effect on the next request. Both are recorded in the staff audit.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormResultBanner } from "../components/form-result";
import type { FormResult } from "../lib/form-result";
import { CsrfInput } from "../components/csrf";
import { EatTime } from "../components/format";
import { EmptyState } from "../components/pager";
import { AppError } from "../lib/app-error";
import { formAction } from "../lib/http.server";
import { createApiKey, listApiKeys, revokeApiKey } from "../modules/auth/api-keys.server";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { ROLE_LABELS, type Role } from "../modules/auth/permissions";
import { UUID } from "../lib/uuid";

export const meta: MetaFunction = () => [{ title: "API keys · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "apikeys:manage");
  return json({ keys: await listApiKeys(context.db) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "apikeys:manage");
  const field = (name: string) => String(form.get(name) ?? "");
  return formAction(async () => {
    switch (field("intent")) {
      case "create": {
        const { key, apiKey } = await createApiKey(
          context.db,
          { name: field("name"), role: field("role") as Role },
          actor,
        );
        return { message: `Key “${apiKey.name}” created.`, data: { key, name: apiKey.name } };
      }
      case "revoke":
        if (!UUID.test(field("keyId")))
          throw new AppError("not_found", "That key does not exist.", { status: 404 });
        await revokeApiKey(context.db, field("keyId"), actor);
        return { message: "Key revoked; requests using it are refused from now on." };
      default:
        throw new AppError("invalid_request", "Unknown action; reload the page and try again.");
    }
  });
}

function NewKey({ result }: { result: FormResult | undefined }) {
  const created = result?.ok
    ? (result.data as { key?: string; name?: string } | undefined)
    : undefined;
  if (!created?.key) return null;
  return (
    <div className="key-once" role="status" data-testid="new-api-key">
      <p>
        <strong>Copy this key now — it will not be shown again.</strong> Send it as{" "}
        <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      <p>
        <input
          readOnly
          value={created.key}
          aria-label={`New API key for ${created.name}`}
          className="mono"
          style={{ width: "100%" }}
          onFocus={(e) => e.currentTarget.select()}
        />
      </p>
    </div>
  );
}

export default function ApiKeysPage() {
  const { keys } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="admin-page">
      <h1>API keys</h1>
      <FormResultBanner result={result} />
      <NewKey result={result} />
      <Form method="post" className="card" aria-label="Create an API key">
        <h2>Create a key</h2>
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        <div className="filters">
          <label>
            Name (the system that will use it)
            <input name="name" required maxLength={80} placeholder="e.g. Shop backend" />
          </label>
          <label>
            Role
            <select name="role" defaultValue="support">
              {(Object.keys(ROLE_LABELS) as Role[]).map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="primary" disabled={busy}>
            Create key
          </button>
        </div>
        <p className="muted small">
          Support keys may request payments and read them; manager keys may only read reports and
          payments.
        </p>
      </Form>
      {keys.length === 0 ? (
        <EmptyState>
          No API keys yet. Create one for each system that calls the API, so each can be revoked
          alone.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Key starts</th>
                <th>Created</th>
                <th>Last used</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id} data-testid={`key-${k.prefix}`}>
                  <td>{k.name}</td>
                  <td>{ROLE_LABELS[k.role]}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>
                    <EatTime at={k.createdAt} />
                  </td>
                  <td>
                    {k.lastUsedAt ? (
                      <EatTime at={k.lastUsedAt} />
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td>
                    {k.revokedAt ? (
                      <>
                        revoked <EatTime at={k.revokedAt} />
                      </>
                    ) : (
                      <Form
                        method="post"
                        className="inline-form"
                        onSubmit={(e) => {
                          if (
                            !confirm(
                              `Revoke “${k.name}”? Systems using it will be refused at once.`,
                            )
                          )
                            e.preventDefault();
                        }}
                      >
                        <CsrfInput />
                        <input type="hidden" name="intent" value="revoke" />
                        <input type="hidden" name="keyId" value={k.id} />
                        <button type="submit" className="danger" disabled={busy}>
                          Revoke
                        </button>
                      </Form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
