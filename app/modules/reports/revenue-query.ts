// The revenue report's query string (from, to, interval), parsed once in the route (the dashboard
// page and GET /api/reports/revenue share it); the report takes the typed result. Pure.
import { z } from "zod";
import type { WithDefaults } from "../../lib/validation";
import { isCalendarDay } from "../../lib/time";
import { INTERVALS } from "./periods";

const calendarDay = z.preprocess(
  (v) => (v === "" ? undefined : v),
  z.string().refine(isCalendarDay, "Use a calendar day like 2025-03-14.").optional(),
);
/** GET /api/reports/revenue and the dashboard: EAT days and a bucket size; blanks are absent. */
export const RevenueQuerySchema = z.object({
  from: calendarDay,
  to: calendarDay,
  interval: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.enum(INTERVALS, { message: "interval must be day, week or month" }).default("day"),
  ),
});

/** getRevenueDashboard's input; interval (day) may be left out. */
export type RevenueQueryInput = WithDefaults<z.output<typeof RevenueQuerySchema>, "interval">;
