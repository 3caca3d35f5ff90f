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
import { isAppError } from "../lib/app-error";
import { requirePermission, requireStaffAction } from "../modules/auth/guards.server";
import { InitiatePaymentFormSchema } from "../modules/payments/initiate.server";
import { requestPaymentAsStaff } from "../modules/payments/staff-actions.server";

export const meta: MetaFunction = () => [{ title: "Request payment · M-Pesa console" }];

const FIELDS = ["orderRef", "amount", "phone", "description"] as const;
type Field = (typeof FIELDS)[number];
type ActionData = {
  values: Record<Field, string>;
  fieldErrors: Partial<Record<Field, string>>;
  error?: string;
  existingPaymentId?: string;
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "payments:request");
  return json({});
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { actor, form } = await requireStaffAction(context, request, "payments:request");
  const values = Object.fromEntries(
    FIELDS.map((f) => [f, String(form.get(f) ?? "").trim()]),
  ) as Record<Field, string>;
  // People type "1,250" or "KES 1 250": the form rule of lib/money.ts reads it as whole shillings.
  const parsed = InitiatePaymentFormSchema.safeParse(values);
  if (!parsed.success) {
    const fieldErrors: ActionData["fieldErrors"] = {};
    for (const issue of parsed.error.issues) fieldErrors[issue.path[0] as Field] ??= issue.message;
    if (!values.orderRef)
      fieldErrors.orderRef = "Enter the order reference the customer is paying.";
    return json<ActionData>({ values, fieldErrors }, { status: 400 });
  }
  try {
    const { view } = await requestPaymentAsStaff(context, parsed.data, actor);
    return redirect(`/payments/${view.id}`);
  } catch (error) {
    if (!isAppError(error)) throw error;
    const existing = (error.details as { payment?: { id: string } } | undefined)?.payment;
    const fieldErrors = error.field ? { [error.field]: error.message } : {};
    return json<ActionData>(
      {
        values,
        fieldErrors,
        error: error.field ? undefined : error.message,
        existingPaymentId: existing?.id,
      },
      { status: error.status },
    );
  }
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
  data: ActionData | undefined;
} & React.InputHTMLAttributes<HTMLInputElement>) {
  const error = data?.fieldErrors[name];
  return (
    <label>
      {label}
      <input
        name={name}
        defaultValue={data?.values[name]}
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
  const data = useActionData<typeof action>() as ActionData | undefined;
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
      {data?.error ? (
        <p className="form-error" role="alert">
          {data.error}
          {data.existingPaymentId ? (
            <>
              {" "}
              <Link to={`/payments/${data.existingPaymentId}`}>Open that payment</Link>.
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
