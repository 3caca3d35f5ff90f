// M-Pesa's tariff, in versions (docs/daraja.md#m-pesa-charges-tariffs): anyone who reads reports sees
// them; an admin adds a version with an effective date (never edits one: receipts keep the charge
// they were priced with). Each addition is in the staff audit.
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
import { EmptyState } from "../components/pager";
import { TariffVersionCard } from "../components/tariffs/tariff-version-card";
import { AppError } from "../lib/app-error";
import { formAction } from "../lib/http.server";
import { formatEat } from "../lib/time";
import { parseFormFields } from "../lib/validation";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { bandLines, TariffVersionFormSchema, TXN_TYPE_LABELS } from "../modules/tariffs/bands";
import { EXAMPLE_TARIFF } from "../modules/tariffs/example-tariff";
import { addTariffVersion, listTariffVersions } from "../modules/tariffs/tariffs.server";

export const meta: MetaFunction = () => [{ title: "Tariffs · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "reports:read");
  const versions = await listTariffVersions(context.db, context.now());
  return json({ versions, canEdit: can(session.user.role, "tariffs:manage") });
}

const FIELDS = ["effectiveFrom", "label", "paybill", "buy_goods"] as const;
type Field = (typeof FIELDS)[number];

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "tariffs:manage");
  // Sent back with a refusal, so the form shows what was typed (the bands above all) without JavaScript.
  const values = Object.fromEntries(FIELDS.map((f) => [f, String(form.get(f) ?? "")]));
  return formAction(
    async () => {
      if (form.get("intent") !== "add")
        throw new AppError("invalid_request", "Unknown action; reload the page and try again.");
      const { input } = await addTariffVersion(
        context.db,
        actor,
        parseFormFields(TariffVersionFormSchema, values),
      );
      return {
        message: `Tariff “${input.label}” saved; it prices money received from ${formatEat(input.effectiveFrom)}. Receipts already recorded keep their charge.`,
      };
    },
    { values },
  );
}

/** Each field's problem: every one the form check found, or the one a refusal named. */
function fieldErrors(result: FormResult | undefined): Partial<Record<string, string>> {
  if (!result || result.ok) return {};
  const { field, fields, message } = result.error;
  return fields ?? (field ? { [field]: message } : {});
}

function FieldError({ errors, name }: { errors: Partial<Record<string, string>>; name: Field }) {
  return errors[name] ? (
    <span className="field-error" id={`${name}-error`}>
      {errors[name]}
    </span>
  ) : null;
}

function AddVersionForm({ result }: { result: FormResult | undefined }) {
  const { versions } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  // Start from the latest version's bands (or the example), so a change is an edit of a copy; after
  // a refusal, from what was typed.
  const start = versions[0]?.bands ?? EXAMPLE_TARIFF;
  const typed = result && !result.ok ? result.values : undefined;
  const errors = fieldErrors(result);
  const invalid = (name: Field) =>
    errors[name] ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {};
  return (
    <Form method="post" className="card" aria-label="Add a tariff version">
      <h2>Add a version</h2>
      <CsrfInput />
      <input type="hidden" name="intent" value="add" />
      <div className="filters">
        <label>
          Effective from (East Africa Time)
          <input
            type="datetime-local"
            name="effectiveFrom"
            required
            defaultValue={typed?.effectiveFrom}
            {...invalid("effectiveFrom")}
          />
          <FieldError errors={errors} name="effectiveFrom" />
        </label>
        <label>
          Name
          <input
            name="label"
            required
            maxLength={120}
            placeholder="e.g. Contract 2026, clause 4"
            defaultValue={typed?.label}
            {...invalid("label")}
          />
          <FieldError errors={errors} name="label" />
        </label>
      </div>
      <p className="muted small">
        One band per line: <code>from, to, charge</code> in whole shillings, both ends included,
        with no gaps or overlaps. A type left empty has no tariff.
      </p>
      <div className="grid-2" style={{ alignItems: "start" }}>
        {(["paybill", "buy_goods"] as const).map((type) => (
          <label key={type}>
            {TXN_TYPE_LABELS[type]}
            <textarea
              name={type}
              rows={12}
              className="mono"
              defaultValue={typed ? typed[type] : bandLines(start[type])}
              {...invalid(type)}
            />
            <FieldError errors={errors} name={type} />
          </label>
        ))}
      </div>
      <button type="submit" className="primary" disabled={busy}>
        Save version
      </button>
    </Form>
  );
}

export default function TariffsPage() {
  const { versions, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<FormResult>();
  return (
    <div className="admin-page">
      <h1>M-Pesa tariffs</h1>
      <p className="muted">
        What M-Pesa charges on money received, by amount band. A receipt is priced once, when it is
        recorded, by the version in force at its time; changing the tariff never changes a recorded
        charge. Enter the tariff of your own M-Pesa contract: the demo&apos;s example schedule is
        not Safaricom&apos;s.
      </p>
      {/* A refusal about one field is said next to it, in the form. */}
      <FormResultBanner
        result={
          result && !result.ok && FIELDS.some((f) => fieldErrors(result)[f]) ? undefined : result
        }
      />
      {canEdit ? <AddVersionForm result={result} /> : null}
      {versions.length === 0 ? (
        <EmptyState>
          No tariff yet: receipts are recorded with no charge (“no tariff”), and net revenue equals
          gross.
        </EmptyState>
      ) : (
        versions.map((v) => <TariffVersionCard key={v.id} {...v} />)
      )}
    </div>
  );
}
