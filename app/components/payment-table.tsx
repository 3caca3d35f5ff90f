// The payments table shared by the list and search results: one row per payment, linking to its page.
// On a phone each row stacks into a small card (table.stack in styles.css): status and receipt first.
import { Link } from "@remix-run/react";
import { plainReason } from "../modules/daraja/result-words";
import { EatTime, Money, Phone } from "./format";
import { StatusBadge } from "./status-badge";

export type PaymentRow = {
  id: string;
  orderRef: string;
  amount: number;
  phone: string;
  status: string;
  statusReason: string | null;
  receipt: string | null;
  createdAt: string;
  matchedBy?: string[];
  /** Cases still needing a person: an "expired" payment with money waiting is not done. */
  openCases?: number;
};

export function PaymentTable({
  payments,
  unmasked,
}: {
  payments: PaymentRow[];
  unmasked: boolean;
}) {
  const showMatch = payments.some((p) => p.matchedBy?.length);
  return (
    <div className="table-wrap">
      <table data-testid="payments-table" className="stack">
        <thead>
          <tr>
            <th>Created (EAT)</th>
            <th>Order</th>
            <th className="num">Amount</th>
            <th>Phone</th>
            <th>Status</th>
            <th>Receipt</th>
            {showMatch ? <th>Matched by</th> : null}
          </tr>
        </thead>
        <tbody>
          {payments.map((p) => (
            <tr key={p.id} data-payment-id={p.id}>
              <td data-label="Created">
                <Link to={`/payments/${p.id}`}>
                  <EatTime at={p.createdAt} zone={false} />
                </Link>
              </td>
              <td data-label="Order" className="nowrap">
                <Link to={`/payments/${p.id}`}>{p.orderRef}</Link>
              </td>
              <td data-label="Amount" className="num">
                <Money kes={p.amount} />
              </td>
              <td data-label="Phone" className="nowrap">
                <Phone msisdn={p.phone} unmasked={unmasked} />
              </td>
              <td data-label="Status">
                <StatusBadge status={p.status} />
                {p.openCases ? (
                  <Link
                    to={`/payments/${p.id}`}
                    className="badge badge-case"
                    title="A case on this payment still needs a person"
                    data-testid="open-case"
                  >
                    {p.openCases === 1 ? "case open" : `${p.openCases} cases open`}
                  </Link>
                ) : null}
                {p.statusReason && p.status !== "paid" ? (
                  <div className="muted">{plainReason(p.statusReason)}</div>
                ) : null}
              </td>
              <td data-label="Receipt" className="mono">
                {p.receipt ?? "—"}
              </td>
              {showMatch ? (
                <td data-label="Matched by">
                  {p.matchedBy?.map((m) => m.replace(/_/g, " ")).join(", ")}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
