// The facts of one payment: summary, its STK attempts (one per prompt sent) and its open exceptions.
import { Link } from "@remix-run/react";
import { Fragment } from "react";
import { plainReason, resultLabel } from "../modules/daraja/result-words";
import { EatTime, Money, Phone } from "./format";
import { StatusBadge } from "./status-badge";
import type { AttemptView, PaymentSummary, PaymentView } from "../modules/payments/payment-view";

type Summary = PaymentSummary & Pick<PaymentView, "receipts">;
type OpenException = PaymentView["openExceptions"][number];

export function PaymentSummaryCard({ payment, unmasked }: { payment: Summary; unmasked: boolean }) {
  return (
    <section className="card" aria-label="Summary">
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={payment.status} />
          {payment.statusReason ? <> — {plainReason(payment.statusReason)}</> : null}
        </dd>
        <dt>Amount</dt>
        <dd>
          <Money kes={payment.amount} />
        </dd>
        <dt>Order</dt>
        <dd>
          {payment.orderRef}{" "}
          <span className="muted">(account reference {payment.accountReference})</span>
        </dd>
        <dt>Phone</dt>
        <dd>
          <Phone msisdn={payment.phone} unmasked={unmasked} />
        </dd>
        {payment.description ? (
          <>
            <dt>Description</dt>
            <dd>{payment.description}</dd>
          </>
        ) : null}
        <dt>Receipt</dt>
        <dd className="mono">
          {payment.receipt ?? (payment.receiptPending ? "paid, receipt not yet received" : "—")}
        </dd>
        {payment.receipts
          .filter((r) => r.receipt !== payment.receipt)
          .map((r) => (
            <Fragment key={r.receipt}>
              <dt>Other receipt</dt>
              <dd className="mono">
                {r.receipt} · <Money kes={r.amount} /> · {r.sources.join(", ")}
              </dd>
            </Fragment>
          ))}
        <dt>Requested</dt>
        <dd>
          <EatTime at={payment.createdAt} />
        </dd>
        <dt>Paid</dt>
        <dd>
          <EatTime at={payment.paidAt} />
        </dd>
        <dt>Last change</dt>
        <dd>
          <EatTime at={payment.updatedAt} />
        </dd>
        <dt>Payment ID</dt>
        <dd className="mono">{payment.id}</dd>
      </dl>
    </section>
  );
}

export function AttemptsTable({
  attempts,
  unmasked,
}: {
  attempts: AttemptView[];
  unmasked: boolean;
}) {
  return (
    <div className="table-wrap">
      <table data-testid="attempts">
        <thead>
          <tr>
            <th>#</th>
            <th>Sent (EAT)</th>
            <th>Phone</th>
            <th>Status</th>
            <th>Result</th>
            <th>CheckoutRequestID</th>
            <th>Polls</th>
            <th>Why re-sent</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => (
            <tr key={a.id}>
              <td>{a.seq}</td>
              <td>
                <EatTime at={a.createdAt} />
              </td>
              <td>
                <Phone msisdn={a.phone} unmasked={unmasked} />
              </td>
              <td>
                <StatusBadge status={a.status} />
              </td>
              <td>
                {a.errorMessage ?? resultLabel(a.resultCode) ?? "—"}
                {!a.errorMessage && a.resultDesc ? (
                  <div className="muted" title="M-Pesa's own words">
                    M-Pesa said: “{a.resultDesc}”
                  </div>
                ) : null}
                {a.receipt ? <div className="mono">{a.receipt}</div> : null}
              </td>
              <td className="mono">{a.checkoutRequestId ?? "—"}</td>
              <td>
                {a.pollCount}
                {a.lastPollAnswer ? <div className="muted">{a.lastPollAnswer}</div> : null}
              </td>
              <td>{a.reason ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function OpenExceptions({ exceptions }: { exceptions: OpenException[] }) {
  if (!exceptions.length) return <p className="muted">No open exceptions.</p>;
  return (
    <ul className="exception-list" data-testid="open-exceptions">
      {exceptions.map((x) => (
        <li key={x.id}>
          <StatusBadge status={x.status} />{" "}
          <Link to={`/exceptions/${x.id}`}>{x.type.replace(/_/g, " ")}</Link> — {x.summary}
          {x.amountAtStake ? (
            <>
              {" "}
              · <Money kes={x.amountAtStake} /> at stake
            </>
          ) : null}{" "}
          · opened <EatTime at={x.openedAt} />
        </li>
      ))}
    </ul>
  );
}
