// Money, time and phone numbers as people should see them: `KES 1,250`, East Africa Time with the
// zone named, and phones masked (`0712 ••• •78`) unless the viewer's role may see them whole.
import { formatKes } from "../lib/money";
import { formatEat } from "../lib/time";
import { formatPhoneLocal, maskPhone } from "../modules/daraja/phone";

export function Money({ kes }: { kes: number | null | undefined }) {
  return <span className="money">{kes == null ? "—" : formatKes(kes)}</span>;
}

/** `zone={false}` where a table's heading already says "(EAT)": the zone once per table, not per row. */
export function EatTime({
  at,
  zone = true,
}: {
  at: string | Date | null | undefined;
  zone?: boolean;
}) {
  if (!at) return <span className="muted">—</span>;
  const date = typeof at === "string" ? new Date(at) : at;
  const text = formatEat(date);
  return <time dateTime={date.toISOString()}>{zone ? text : text.replace(/ EAT$/, "")}</time>;
}

export function Phone({
  msisdn,
  unmasked,
}: {
  msisdn: string | null | undefined;
  unmasked: boolean;
}) {
  if (!msisdn) return <span className="muted">—</span>;
  // Loaders mask numbers for roles that may not see them (payments/redact.ts); show those as sent.
  if (msisdn.includes("•")) return <span className="phone">{msisdn}</span>;
  return <span className="phone">{unmasked ? formatPhoneLocal(msisdn) : maskPhone(msisdn)}</span>;
}
