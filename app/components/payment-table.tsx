// The payments table shared by the list and search results: one row per payment, linking to its page.
import { Link } from "@remix-run/react";
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
      <table data-testid="payments-table">
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
              <td>
                <Link to={`/payments/${p.id}`}>
                  <EatTime at={p.createdAt} />
                </Link>
              </td>
              <td>
                <Link to={`/payments/${p.id}`}>{p.orderRef}</Link>
              </td>
              <td className="num">
                <Money kes={p.amount} />
              </td>
              <td>
                <Phone msisdn={p.phone} unmasked={unmasked} />
              </td>
              <td>
                <StatusBadge status={p.status} />
                {p.statusReason && p.status !== "paid" ? (
                  <div className="muted">{p.statusReason}</div>
                ) : null}
              </td>
              <td className="mono">{p.receipt ?? "—"}</td>
              {showMatch ? (
                <td>{p.matchedBy?.map((m) => m.replace(/_/g, " ")).join(", ")}</td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
