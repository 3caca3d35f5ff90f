// Money out on the settings page: whether the initiator is configured (never its secrets), whether
// reversals are switched on, and the cap on one reversal, which an admin sets here.
import { Form, useActionData } from "@remix-run/react";
import { CsrfInput } from "../csrf";

type Result = { ok: true; message?: string } | { ok: false; error: { message: string } };

export function MoneyOutSettings(props: {
  initiatorConfigured: boolean;
  allowReversals: boolean;
  reversalCapKes: number;
}) {
  const result = useActionData<Result>();
  return (
    <section className="card" aria-label="Money out" data-testid="money-out-settings">
      <h2>Money out</h2>
      <p>
        M-Pesa initiator (Transaction Status, reversals, balance):{" "}
        <strong>{props.initiatorConfigured ? "configured" : "not configured"}</strong>. Reversals:{" "}
        <strong>{props.allowReversals ? "on" : "off (MPESA_ALLOW_REVERSALS)"}</strong>.
      </p>
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="reversal_cap" />
        <label>
          Largest reversal per request (KES)
          <input
            name="capKes"
            type="number"
            min={1}
            max={250000}
            step={1}
            defaultValue={props.reversalCapKes}
            required
          />
        </label>
        <button type="submit">Save cap</button>
      </Form>
      {result ? (
        result.ok ? (
          <p className="form-ok" role="status">
            {result.message}
          </p>
        ) : (
          <p className="form-error" role="alert">
            {result.error.message}
          </p>
        )
      ) : null}
    </section>
  );
}
