// A statement import's lines: what M-Pesa printed, what the matcher decided, and — for a proposal —
// the evidence and the one-click confirmation (finance only; never applied by the system itself).
import { Form, Link } from "@remix-run/react";
import { CsrfInput } from "../csrf";
import { EatTime, Money, Phone } from "../format";
import { StatusBadge } from "../status-badge";
import type { LineView } from "../../modules/reconciliation/statement-view";

const STATE_LABELS: Record<string, string> = {
  matched: "matched",
  proposed: "proposed",
  exception: "exception",
  unmatched: "in the queue",
  reversal: "reversal",
  skipped: "skipped",
  new: "matching…",
};

export function StatementLineTable({
  lines,
  canConfirm,
  unmaskPhones,
}: {
  lines: LineView[];
  canConfirm: boolean;
  unmaskPhones: boolean;
}) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Receipt</th>
            <th>Completed</th>
            <th className="num">Paid in</th>
            <th className="num">Withdrawn</th>
            <th>Other party · A/C No.</th>
            <th>State</th>
            <th>Payment</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.id} data-line={l.receipt}>
              <td className="mono">
                {l.receipt}
                {l.status !== "Completed" ? (
                  <div>
                    <StatusBadge status="failed" label={l.status} />
                  </div>
                ) : null}
              </td>
              <td>
                <EatTime at={l.completedAt} />
              </td>
              <td className="num">{l.paidIn ? <Money kes={l.paidIn} /> : null}</td>
              <td className="num">{l.withdrawn ? <Money kes={l.withdrawn} /> : null}</td>
              <td>
                {l.otherPartyInfo ?? "—"}
                {l.accountNo ? <div className="muted">A/C {l.accountNo}</div> : null}
                {l.reasonType ? <div className="muted">{l.reasonType}</div> : null}
              </td>
              <td>
                <StatusBadge
                  status={
                    l.matchState === "matched" || l.matchState === "reversal"
                      ? "paid"
                      : l.matchState === "exception"
                        ? "open"
                        : l.matchState
                  }
                  label={STATE_LABELS[l.matchState] ?? l.matchState}
                />
              </td>
              <td>
                <LineLinks line={l} canConfirm={canConfirm} unmaskPhones={unmaskPhones} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const tick = (value: boolean | null, label: string) =>
  value === null ? `${label} unknown` : `${label} ${value ? "✓" : "✗"}`;

function LineLinks({
  line,
  canConfirm,
  unmaskPhones,
}: {
  line: LineView;
  canConfirm: boolean;
  unmaskPhones: boolean;
}) {
  const p = line.proposal;
  return (
    <>
      {line.paymentId ? (
        <div>
          <Link to={`/payments/${line.paymentId}`}>{line.paymentOrderRef ?? "payment"}</Link>
        </div>
      ) : null}
      {line.linkedTransactionId ? (
        <div className="muted">
          reverses <span className="mono">{line.linkedTransactionId}</span>
        </div>
      ) : null}
      {line.exception ? (
        <div>
          <Link to={`/exceptions/${line.exception.id}`}>
            {line.exception.type.replace(/_/g, " ")}
          </Link>{" "}
          <StatusBadge status={line.exception.status} />
        </div>
      ) : null}
      {p ? (
        <div>
          <div>
            Proposed: <Link to={`/payments/${p.paymentId}`}>{p.orderRef}</Link>{" "}
            <StatusBadge status={p.status} />
          </div>
          <div className="muted">
            <Money kes={p.amount} />, <Phone msisdn={p.phone} unmasked={unmaskPhones} />, requested{" "}
            <EatTime at={p.createdAt} />
            <br />
            {[
              tick(p.evidence.amount, "amount"),
              tick(p.evidence.accountRef, "A/C No."),
              tick(p.evidence.phone, "phone"),
            ].join(" · ")}{" "}
            · paid {p.evidence.minutesAfterRequest} min after the request
          </div>
          {canConfirm ? (
            <Form method="post" className="actions">
              <CsrfInput />
              <input type="hidden" name="intent" value="confirm" />
              <input type="hidden" name="lineId" value={line.id} />
              <button
                type="submit"
                className="primary"
              >{`Confirm: mark ${p.orderRef} paid`}</button>
            </Form>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
