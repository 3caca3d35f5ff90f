// The evidence behind an exception: the payment, its attempts, the raw callbacks involved (bodies as
// received, escaped), the STK Query answers, the receipt, and the case's own history.
import { Link } from "@remix-run/react";
import { plainReason, resultLabel } from "../../modules/daraja/result-words";
import { EatTime, Money, Phone } from "../format";
import { RawBody } from "../raw-body";
import { StatusBadge } from "../status-badge";
import type { CallbackView } from "../../modules/callbacks/callback-view";
import type { CaseAttempt, CaseQuery } from "../../modules/exceptions/exception-view";
import type { PaymentSummary } from "../../modules/payments/payment-view";

export function PaymentEvidence({
  payment,
  attempts,
  unmasked,
}: {
  payment: PaymentSummary | null;
  attempts: CaseAttempt[];
  unmasked: boolean;
}) {
  if (!payment)
    return (
      <div className="card">
        <h2>Payment</h2>
        <p className="muted">No payment is linked to this exception.</p>
      </div>
    );
  return (
    <div className="card" data-testid="payment-evidence">
      <h2>Payment</h2>
      <dl className="facts">
        <dt>Order</dt>
        <dd>
          <Link to={`/payments/${payment.id}`}>{payment.orderRef}</Link>
        </dd>
        <dt>Amount</dt>
        <dd>
          <Money kes={payment.amount} />
        </dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={payment.status} />{" "}
          {payment.statusReason ? (
            <span className="muted">{plainReason(payment.statusReason)}</span>
          ) : null}
        </dd>
        <dt>Receipt</dt>
        <dd className="mono">{payment.receipt ?? "—"}</dd>
        <dt>Phone</dt>
        <dd>
          <Phone msisdn={payment.phone} unmasked={unmasked} />
        </dd>
        <dt>Created</dt>
        <dd>
          <EatTime at={payment.createdAt} />
        </dd>
      </dl>
      <h3>Attempts</h3>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Sent</th>
              <th>Status</th>
              <th>CheckoutRequestID</th>
              <th>Result</th>
              <th>Receipt</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr key={a.id} className={a.isCaseAttempt ? "highlight" : undefined}>
                <td>
                  {a.seq}
                  {a.isCaseAttempt ? " ★" : ""}
                </td>
                <td>
                  <EatTime at={a.createdAt} />
                </td>
                <td>
                  <StatusBadge status={a.status} />
                </td>
                <td className="mono">
                  {a.checkoutRequestId ?? <span className="muted">never received</span>}
                </td>
                <td>
                  {a.resultCode !== null ? (
                    <>
                      {resultLabel(a.resultCode)}
                      {a.resultDesc ? (
                        <div className="muted">M-Pesa said: “{a.resultDesc}”</div>
                      ) : null}
                    </>
                  ) : (
                    (a.errorMessage ?? "—")
                  )}
                </td>
                <td className="mono">{a.receipt ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">★ the attempt this exception is about.</p>
    </div>
  );
}

export function CallbackEvidence({
  callbacks,
  canOpen,
}: {
  callbacks: Omit<CallbackView, "headers">[]; // `unknown` headers may be absent once serialized
  canOpen: boolean;
}) {
  return (
    <div className="card" data-testid="callback-evidence">
      <h2>Callbacks involved</h2>
      {callbacks.length === 0 ? (
        <p className="muted">
          No callback is involved (the exception came from a push, a query or the statement).
        </p>
      ) : null}
      {callbacks.map((c) => (
        <article key={c.id} className="callback">
          <p>
            {canOpen ? (
              <Link to={`/callbacks/${c.id}`}>Callback #{c.id}</Link>
            ) : (
              <>Callback #{c.id}</>
            )}{" "}
            · <EatTime at={c.receivedAt} /> · <StatusBadge status={c.outcome} />{" "}
            <span className="muted">
              {c.outcomeDetail ?? ""} · from {c.sourceIp ?? "?"}
              {c.sourceTrusted === false ? " (outside the allow-list)" : ""}
            </span>
          </p>
          <RawBody body={c.body} sizeBytes={c.sizeBytes} />
        </article>
      ))}
    </div>
  );
}

export function LineList({
  title,
  lines,
  empty,
  testId,
}: {
  title: string;
  lines: CaseQuery[];
  empty: string;
  testId: string;
}) {
  return (
    <div className="card" data-testid={testId}>
      <h2>{title}</h2>
      {lines.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="timeline">
          {lines.map((l, i) => (
            <li key={i}>
              <EatTime at={l.at} /> · <strong>{l.actor}</strong>
              <div>{l.summary}</div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
