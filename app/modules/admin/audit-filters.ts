// The staff audit's filters as the query string carries them (the page and its CSV): one zod parser
// the routes share, and the typed input listStaffAudit takes. Pure.
import { z } from "zod";
import { pageLimit, type WithDefaults } from "../../lib/validation";
import { isCalendarDay } from "../../lib/time";

export const AUDIT_PAGE_SIZE = 50;

const optionalText = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.string().trim().max(200).optional(),
);

export const AuditFiltersSchema = z.object({
  /** A user or API key id, or (part of) the name recorded at the time. */
  actor: optionalText,
  /** An exact action (`user.create`) or a prefix ending in `*` (`payment.*`). */
  action: optionalText,
  entityType: optionalText,
  entityId: optionalText,
  /** EAT days, inclusive: `2025-03-14`. */
  from: optionalText.refine(
    (d) => d === undefined || isCalendarDay(d),
    "Pick a start date like 2025-03-14.",
  ),
  to: optionalText.refine(
    (d) => d === undefined || isCalendarDay(d),
    "Pick an end date like 2025-03-14.",
  ),
  limit: pageLimit(500, AUDIT_PAGE_SIZE),
  cursor: optionalText,
});
/** listStaffAudit's input: the parsed filters; limit may be left out. */
export type AuditListInput = WithDefaults<z.output<typeof AuditFiltersSchema>, "limit">;
/** The CSV reads every page itself (500 rows at a time): its own limit, the same other checks. */
export const AuditCsvFiltersSchema = AuditFiltersSchema.omit({ limit: true });
