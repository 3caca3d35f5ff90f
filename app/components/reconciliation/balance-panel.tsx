// The latest M-Pesa Account Balance snapshot beside the statement's running balance at the same
// moment, and a button to ask for a fresh one (finance, admin).
import { Form } from "@remix-run/react";
import { CsrfInput } from "../csrf";
import { EatTime } from "../format";

type Account = { name: string; currency: string; amountCents: number };
export type BalancePanelProps = {
  snapshot: { takenAt: string; utilityCents: number | null; accounts: Account[] } | null;
  statement: { balanceCents: number; at: string; receipt: string } | null;
  differenceCents: number | null;
  canQuery: boolean;
};

const kes = (cents: number) =>
  `KES ${(cents / 100).toLocaleString("en-KE", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function BalancePanel({
  snapshot,
  statement,
  differenceCents,
  canQuery,
}: BalancePanelProps) {
  return (
    <section className="card" aria-label="Account balance" data-testid="balance">
      <h2>M-Pesa account balance</h2>
      {snapshot ? (
        <table className="table">
          <tbody>
            {snapshot.accounts.map((a) => (
              <tr key={a.name}>
                <th scope="row">{a.name}</th>
                <td>{kes(a.amountCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No balance yet: it is asked once a day, or now with the button.</p>
      )}
      {snapshot ? (
        <p>
          As of <EatTime at={snapshot.takenAt} />.{" "}
          {statement ? (
            <>
              The statement&apos;s running balance then was {kes(statement.balanceCents)} (after{" "}
              {statement.receipt}, <EatTime at={statement.at} />
              ).{" "}
              {differenceCents === 0 ? (
                <strong data-testid="balance-agrees">They agree.</strong>
              ) : (
                <strong className="form-error" data-testid="balance-differs">
                  They differ by {kes(differenceCents ?? 0)}; a case is open.
                </strong>
              )}
            </>
          ) : (
            "No imported statement covers that moment yet, so there is nothing to compare."
          )}
        </p>
      ) : null}
      {canQuery ? (
        <Form method="post">
          <CsrfInput />
          <input type="hidden" name="intent" value="balance_query" />
          <button type="submit">Ask M-Pesa for the balance now</button>
        </Form>
      ) : null}
    </section>
  );
}
