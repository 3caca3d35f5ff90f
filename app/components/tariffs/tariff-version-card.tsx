// One tariff version as the tariffs page shows it: when it applies, its bands per transaction type,
// and how many receipts it priced.
import { formatKes } from "../../lib/money";
import { formatEat } from "../../lib/time";
import { TXN_TYPE_LABELS, type Band } from "../../modules/tariffs/bands";
import type { TxnType } from "../../../db/schema";

export type TariffVersionCardProps = {
  id: string;
  effectiveFrom: string;
  label: string;
  state: "in_force" | "scheduled" | "past";
  bands: Record<TxnType, Band[]>;
  receipts: number;
};

const STATE_LABELS = { in_force: "In force", scheduled: "Scheduled", past: "Replaced" };

function BandTable({ type, bands }: { type: TxnType; bands: Band[] }) {
  return (
    <table className="table compact" aria-label={`${TXN_TYPE_LABELS[type]} bands`}>
      <caption className="muted small">{TXN_TYPE_LABELS[type]}</caption>
      <thead>
        <tr>
          <th>From (KES)</th>
          <th>To (KES)</th>
          <th>Charge</th>
        </tr>
      </thead>
      <tbody>
        {bands.length === 0 ? (
          <tr>
            <td colSpan={3} className="muted">
              No bands: such receipts show “no tariff”.
            </td>
          </tr>
        ) : (
          bands.map((b) => (
            <tr key={b.minKes}>
              <td>{b.minKes.toLocaleString("en-KE")}</td>
              <td>{b.maxKes.toLocaleString("en-KE")}</td>
              <td>{formatKes(b.chargeKes)}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

export function TariffVersionCard(v: TariffVersionCardProps) {
  return (
    <section className="card" data-testid="tariff-version" aria-label={`Tariff ${v.label}`}>
      <h2>
        {v.label} <span className={`badge tariff-${v.state}`}>{STATE_LABELS[v.state]}</span>
      </h2>
      <p className="muted small">
        From {formatEat(v.effectiveFrom)} · priced {v.receipts.toLocaleString("en-KE")} receipt
        {v.receipts === 1 ? "" : "s"}
      </p>
      <div className="grid-2" style={{ alignItems: "start" }}>
        <BandTable type="paybill" bands={v.bands.paybill} />
        <BandTable type="buy_goods" bands={v.bands.buy_goods} />
      </div>
    </section>
  );
}
