// /exceptions/bulk?<queue filters>&scope=filtered|checked[&id=…]: preview exactly the cases one action
// will touch and the money involved, then apply one action with one note to all of them (finance,
// admin). The form carries the previewed ids and their fingerprint; a stale preview is refused.
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf";
import { ErrorPage } from "../components/error-page";
import { EatTime, Money } from "../components/format";
import { StatusBadge } from "../components/status-badge";
import { isAppError, pageError } from "../lib/app-error";
import { formAction, type FormResult } from "../lib/http.server";
import { parseForm } from "../lib/validation";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { ACTION_LABELS, typeTitle } from "../modules/exceptions/actions";
import { applyBulk, previewBulk, type BulkPreview } from "../modules/exceptions/bulk.server";
import { BulkApplySchema } from "../modules/exceptions/resolve-input";
import { parseBulkSelection, queueFilterForm } from "../modules/exceptions/queue-filters";

export const meta: MetaFunction = () => [{ title: "Bulk action · Exceptions · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session, actor } = await requirePermission(context, request, "exceptions:resolve");
  const params = new URL(request.url).searchParams;
  const form = queueFilterForm(params);
  const checked = params.get("scope") === "checked";
  let preview: BulkPreview | null = null;
  try {
    preview = await previewBulk(context, actor, parseBulkSelection(params));
  } catch (caught) {
    if (!isAppError(caught)) throw caught;
    // A hostile or mistyped query string: say which field, keep the page (400, not a 500).
    return json({ form, checked, preview, error: pageError(caught) }, { status: caught.status });
  }
  return json(viewFor(viewerOf(session.user), { form, checked, preview, error: null }));
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "exceptions:resolve");
  // A refusal carries the chosen action and the note, so the form shows them again without JavaScript.
  const values = { action: String(form.get("action") ?? ""), note: String(form.get("note") ?? "") };
  return formAction(
    async () => {
      const result = await applyBulk(context, actor, parseForm(BulkApplySchema, form));
      return {
        message: result.message,
        data: { count: result.count, totalKes: result.totalKes },
      };
    },
    { values },
  );
}

/** The form's own fields: a refusal naming one is said next to it. */
const FORM_FIELDS = ["action", "note"];

export default function BulkAction() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<FormResult<{ count: number; totalKes: number }>>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const back = new URLSearchParams(
    Object.entries(data.form).filter(([, v]) => v !== "") as [string, string][],
  );
  const resolved = new URLSearchParams(back);
  resolved.set("status", "resolved");
  const p = data.preview;
  const refused = result && !result.ok ? result : undefined;
  const fieldError = (name: string) =>
    refused?.error.field === name ? (
      <span className="field-error" role="alert">
        {refused.error.message}
      </span>
    ) : null;
  return (
    <>
      <p>
        <Link to={`/exceptions?${back}`}>← Exception queue</Link>
      </p>
      <h1>Bulk action</h1>
      {result?.ok ? (
        <p className="form-ok" role="status" data-testid="bulk-done">
          {result.message} <Link to={`/exceptions?${resolved}`}>See them in the queue</Link>
        </p>
      ) : null}
      {refused && !(p?.actions.length && FORM_FIELDS.includes(refused.error.field ?? "")) ? (
        <p className="form-error" role="alert" data-testid="bulk-error">
          {refused.error.message}
        </p>
      ) : null}
      {data.error ? (
        <p className="form-error" role="alert">
          {data.error.message} <Link to="/exceptions">Back to the queue</Link>
        </p>
      ) : null}
      {p ? (
        <>
          <p data-testid="bulk-summary">
            {data.checked ? "The cases you ticked" : "Every case matching the queue's filters"}:{" "}
            <strong data-testid="bulk-count">{p.cases.length}</strong>{" "}
            {p.cases.length === 1 ? "case" : "cases"},{" "}
            <strong data-testid="bulk-total">
              <Money kes={p.totalKes} />
            </strong>{" "}
            at stake.
            {p.matching > p.cases.length
              ? ` These are the oldest ${p.cases.length} of ${p.matching} matching; narrow the filters for the rest.`
              : ""}
          </p>
          <PreviewTable preview={p} />
          {p.cases.length === 0 ? null : p.actions.length === 0 ? (
            <p className="banner-warn">
              No single action fits every one of these cases (they differ in type or state, or need
              something per case such as a receipt, a reversal ID or a second person&apos;s
              approval). Narrow the filters, or tick cases of one kind, or decide them one by one.
            </p>
          ) : (
            <Form method="post" className="card" aria-label="Apply to every case above">
              <CsrfInput />
              <input type="hidden" name="cases" value={p.cases.map((x) => x.id).join(",")} />
              <input type="hidden" name="fingerprint" value={p.fingerprint} />
              <fieldset className="choices">
                <legend>Action (only those that fit every case above)</legend>
                {p.actions.map((a) => (
                  <label key={a} className="inline">
                    <input
                      type="radio"
                      name="action"
                      value={a}
                      required
                      defaultChecked={refused?.values?.action === a}
                    />{" "}
                    {ACTION_LABELS[a].label}{" "}
                    <span className="muted">— {ACTION_LABELS[a].help}</span>
                  </label>
                ))}
                {fieldError("action")}
              </fieldset>
              <label>
                Note (why; recorded on every case and in the staff audit)
                <textarea
                  name="note"
                  required
                  minLength={3}
                  maxLength={2000}
                  rows={3}
                  defaultValue={refused?.values?.note ?? ""}
                  aria-invalid={refused?.error.field === "note" ? true : undefined}
                />
                {fieldError("note")}
              </label>
              <button type="submit" className="primary" disabled={busy}>
                {busy ? "Applying…" : `Apply to these ${p.cases.length} cases`}
              </button>
            </Form>
          )}
        </>
      ) : null}
    </>
  );
}

function PreviewTable({ preview }: { preview: BulkPreview }) {
  if (preview.cases.length === 0)
    return <p className="muted">No cases match: there is nothing to act on.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="bulk-preview">
        <thead>
          <tr>
            <th>Opened (EAT)</th>
            <th>Type</th>
            <th>Status</th>
            <th className="num">At stake</th>
            <th>What happened</th>
          </tr>
        </thead>
        <tbody>
          {preview.cases.map((x) => (
            <tr key={x.id} data-exception-id={x.id}>
              <td>
                <Link to={`/exceptions/${x.id}`}>
                  <EatTime at={x.openedAt} zone={false} />
                </Link>
              </td>
              <td>{typeTitle(x.type)}</td>
              <td>
                <StatusBadge status={x.status} />
              </td>
              <td className="num">
                <Money kes={x.amountAtStake} />
              </td>
              <td>{x.summary}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th colSpan={3}>
              {preview.cases.length} {preview.cases.length === 1 ? "case" : "cases"}
            </th>
            <th className="num">
              <Money kes={preview.totalKes} />
            </th>
            <th />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
