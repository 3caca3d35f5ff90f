// An endpoint's recent deliveries: what was sent, how it went, and a resend button for each.
import { Form } from "@remix-run/react";
import { CsrfInput } from "../csrf";
import { EatTime } from "../format";
import { RawBody } from "../raw-body";
import { StatusBadge } from "../status-badge";

export type DeliveryItem = {
  id: number;
  eventId: string;
  eventType: string;
  paymentId: string | null;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string;
  createdAt: string;
  requestBody: string | null;
};

export function DeliveriesTable({
  deliveries,
  busy,
}: {
  deliveries: DeliveryItem[];
  busy: boolean;
}) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Event</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Response</th>
            <th>Last attempt (EAT)</th>
            <th>Request body</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id} data-testid={`delivery-${d.id}`}>
              <td>
                <code>{d.eventType}</code>
                <div className="mono small muted">{d.eventId}</div>
              </td>
              <td>
                <StatusBadge
                  status={d.status === "delivered" ? "paid" : d.status}
                  label={d.status}
                />
                {d.status === "pending" && d.attempts > 0 && (
                  <div className="small muted">
                    next <EatTime at={d.nextAttemptAt} zone={false} />
                  </div>
                )}
              </td>
              <td>{d.attempts}</td>
              <td className="small">
                {d.lastStatusCode ?? "—"}
                {d.lastError && <div className="muted">{d.lastError}</div>}
              </td>
              <td>
                <EatTime at={d.lastAttemptAt} zone={false} />
              </td>
              <td>
                {d.requestBody ? (
                  <details>
                    <summary>Show</summary>
                    <RawBody body={d.requestBody} />
                  </details>
                ) : (
                  <span className="muted small">not sent yet</span>
                )}
              </td>
              <td>
                <Form method="post" className="inline-form">
                  <CsrfInput />
                  <input type="hidden" name="intent" value="resend" />
                  <input type="hidden" name="deliveryId" value={d.id} />
                  <button type="submit" disabled={busy}>
                    Resend
                  </button>
                </Form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
