// Request payment (support, admin): order ref, amount, phone → an STK push, then the payment's page,
// which updates itself until the customer answers. A plain form: works without JavaScript.
import {
  json,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf";
import { ErrorPage } from "../components/error-page";
import { pushWaitText, useElapsedSeconds } from "../components/use-elapsed";
import { formAction } from "../lib/http.server";
import type { FormResult } from "../lib/form-result";
import { parseFormFields } from "../lib/validation";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { InitiatePaymentFormSchema } from "../modules/payments/initiate.server";
import { requestPaymentAsStaff } from "../modules/payments/staff-actions.server";

export const meta: MetaFunction = () => [{ title: "Request payment · M-Pesa console" }];

const FIELDS = ["orderRef", "amount", "phone", "description"] as const;
type Field = (typeof FIELDS)[number];
/** A refusal names the payment already waiting for this order, to link to it. */
type Result = FormResult<{ existingPaymentId?: string }>;

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "payments:request");
  return json({});
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "payments:request");
  const values = Object.fromEntries(FIELDS.map((f) => [f, String(form.get(f) ?? "").trim()]));
  return formAction(
    async () => {
      // People type "1,250" or "KES 1 250": the form rule of lib/money.ts reads it as whole shillings.
      const input = parseFormFields(InitiatePaymentFormSchema, values);
      const { view } = await requestPaymentAsStaff(context, input, actor);
      return redirect(`/payments/${view.id}`);
    },
    {
      values,
      data: (error) => {
        const existing = (error.details as { payment?: { id: string } } | undefined)?.payment;
        return existing ? { existingPaymentId: existing.id } : undefined;
      },
    },
  );
}

/** Each field's problem: every one the form check found, or the one a refusal named. */
function fieldErrors(result: Result | undefined): Partial<Record<Field, string>> {
  if (!result || result.ok) return {};
  const { field, fields, message } = result.error;
  return fields ?? (field ? { [field]: message } : {});
}

function Field({
  name,
  label,
  hint,
  data,
  ...props
}: {
  name: Field;
  label: string;
  hint?: string;
  data: Result | undefined;
} & React.InputHTMLAttributes<HTMLInputElement>) {
  const error = fieldErrors(data)[name];
  return (
    <label>
      {label}
      <input
        name={name}
        defaultValue={data && !data.ok ? data.values?.[name] : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${name}-error` : undefined}
        {...props}
      />
      {error ? (
        <span className="field-error" id={`${name}-error`}>
          {error}
        </span>
      ) : hint ? (
        <span className="muted">{hint}</span>
      ) : null}
    </label>
  );
}

export default function RequestPayment() {
  const data = useActionData<Result>();
  const refusal = data && !data.ok && !data.error.field ? data : undefined;
  const navigation = useNavigation();
  const sending = navigation.state !== "idle" && navigation.formMethod?.toUpperCase() === "POST";
  const waited = useElapsedSeconds(sending);
  return (
    <div className="narrow">
      <h1>Request payment</h1>
      <p className="muted">
        Sends an M-Pesa prompt to the customer's phone. They confirm with their PIN; the payment
        page shows the result as it happens.
      </p>
      {refusal ? (
        <p className="form-error" role="alert">
          {refusal.error.message}
          {refusal.data?.existingPaymentId ? (
            <>
              {" "}
              <Link to={`/payments/${refusal.data.existingPaymentId}`}>Open that payment</Link>.
            </>
          ) : null}
        </p>
      ) : null}
      <Form method="post" className="card" noValidate>
        <CsrfInput />
        <Field
          name="orderRef"
          label="Order reference"
          data={data}
          required
          autoComplete="off"
          hint="The order or invoice number the customer is paying."
        />
        <Field
          name="amount"
          label="Amount (KES)"
          data={data}
          required
          inputMode="numeric"
          hint="Whole shillings, KES 1 to KES 250,000."
        />
        <Field
          name="phone"
          label="Customer's phone"
          data={data}
          required
          type="tel"
          autoComplete="off"
          placeholder="0712 345 678"
          hint="Any format: 0712 345 678, +254 712 345 678, 254712345678."
        />
        <Field name="description" label="Description (optional)" data={data} maxLength={100} />
        <button type="submit" className="primary" disabled={sending}>
          {sending ? "Sending prompt…" : "Send payment prompt"}
        </button>
        {sending && waited >= 4 ? (
          <p className="muted" role="status" data-testid="push-wait">
            {pushWaitText(waited)}
          </p>
        ) : null}
      </Form>
    </div>
  );
}

export function ErrorBoundary() {
  return <ErrorPage />;
}
