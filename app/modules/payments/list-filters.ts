// The payments list's filters as a query string carries them (GET /api/payments, the console's
// payments page and its CSV): one zod parser the routes share, and the typed input the queries take.
// Pure (the statuses come from the schema module, which has no I/O).
import { z } from "zod";
import { PAYMENT_STATUSES } from "../../../db/schema";
import { pageLimit, type WithDefaults } from "../../lib/validation";

export const PAYMENT_PAGE_SIZE = 50;

const dateParam = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00+03:00` : s));
const optionalText = z.string().trim().min(1).optional().catch(undefined);

export const PaymentFiltersSchema = z.object({
  status: z
    .enum(PAYMENT_STATUSES, { message: `status must be one of ${PAYMENT_STATUSES.join(", ")}` })
    .optional(),
  orderRef: optionalText,
  phone: optionalText,
  receipt: optionalText,
  checkoutRequestId: optionalText,
  from: dateParam.optional(),
  to: dateParam.optional(),
  minAmount: z.coerce.number().int().min(0).optional(),
  maxAmount: z.coerce.number().int().min(0).optional(),
  sort: z.enum(["newest", "oldest", "amount_desc", "amount_asc"]).default("newest"),
  limit: pageLimit(200, PAYMENT_PAGE_SIZE),
  cursor: optionalText,
});
/** listPayments' input: the parsed filters; sort (newest) and limit may be left out. */
export type PaymentListInput = WithDefaults<
  z.output<typeof PaymentFiltersSchema>,
  "sort" | "limit"
>;

/** The per-status counts read the same filters without status, sort and paging. */
export const PaymentCountFiltersSchema = PaymentFiltersSchema.omit({
  status: true,
  sort: true,
  limit: true,
  cursor: true,
});
export type PaymentCountInput = z.output<typeof PaymentCountFiltersSchema>;
