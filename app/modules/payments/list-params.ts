// The payments page's URL → the list's filters. People pick East Africa Time calendar days; the list
// wants instants. Without dates or an identifier the page shows the last DEFAULT_WINDOW_DAYS days, so
// the per-status counts stay a bounded index scan on a million-row table. Pure: shared with the form.
import { parseAmountText } from "../../lib/money";
import { addDays, eatDay, startOfEatDay } from "../../lib/time";

export const DEFAULT_WINDOW_DAYS = 30;
export const PAYMENT_SORTS = {
  newest: "Newest first",
  oldest: "Oldest first",
  amount_desc: "Largest amount",
  amount_asc: "Smallest amount",
} as const;
export type PaymentSort = keyof typeof PAYMENT_SORTS;

/** What the filter form shows: the URL's values, plus the default dates when none were given. */
export type PaymentListForm = {
  status: string;
  from: string;
  to: string;
  minAmount: string;
  maxAmount: string;
  phone: string;
  orderRef: string;
  receipt: string;
  sort: PaymentSort;
};
export type PaymentListQuery = {
  form: PaymentListForm;
  /** Input for listPayments / countPaymentsByStatus (without cursor and limit). */
  filters: Record<string, string>;
  defaultWindow: boolean;
  error: { field: string; message: string } | null;
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function validDay(day: string): boolean {
  if (!DAY.test(day)) return false;
  try {
    startOfEatDay(day);
    return true;
  } catch {
    return false;
  }
}

export function paymentListQuery(params: URLSearchParams, now: Date): PaymentListQuery {
  const get = (name: string) => (params.get(name) ?? "").trim();
  const sort = (get("sort") in PAYMENT_SORTS ? get("sort") : "newest") as PaymentSort;
  const form: PaymentListForm = {
    status: get("status"),
    from: get("from"),
    to: get("to"),
    minAmount: get("minAmount"),
    maxAmount: get("maxAmount"),
    phone: get("phone"),
    orderRef: get("orderRef"),
    receipt: get("receipt"),
    sort,
  };
  const filters: Record<string, string> = { sort };
  let error: PaymentListQuery["error"] = null;
  const fail = (field: string, message: string) => (error ??= { field, message });

  for (const key of ["status", "phone", "orderRef", "receipt"] as const)
    if (form[key]) filters[key] = form[key];
  for (const key of ["minAmount", "maxAmount"] as const) {
    if (!form[key]) continue;
    // "KES 1,250" and "1 250" are how people write amounts (the form rule of lib/money.ts).
    const amount = parseAmountText(form[key]);
    if (amount.ok && amount.kes >= 0) filters[key] = String(amount.kes);
    else fail(key, "Amounts are whole shillings, like 1250.");
  }
  if (
    filters.minAmount &&
    filters.maxAmount &&
    Number(filters.minAmount) > Number(filters.maxAmount)
  )
    fail("maxAmount", "The largest amount is below the smallest; swap them or clear one.");
  if (form.from && !validDay(form.from)) fail("from", "Pick a start date like 2025-03-14.");
  if (form.to && !validDay(form.to)) fail("to", "Pick an end date like 2025-03-14.");

  // An identifier is an indexed lookup: search all time. Otherwise bound the window.
  const identified = !!(form.phone || form.orderRef || form.receipt);
  const defaultWindow = !form.from && !identified;
  if (defaultWindow)
    form.from = addDays(validDay(form.to) ? form.to : eatDay(now), -(DEFAULT_WINDOW_DAYS - 1));
  if (validDay(form.from)) filters.from = startOfEatDay(form.from).toISOString();
  // The end day is inclusive: up to the last millisecond before the next EAT midnight.
  if (validDay(form.to))
    filters.to = new Date(startOfEatDay(addDays(form.to, 1)).getTime() - 1).toISOString();
  if (filters.from && filters.to && filters.from > filters.to)
    fail("to", "The end date is before the start date.");
  return { form, filters, defaultWindow, error };
}
