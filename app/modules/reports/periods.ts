// Calendar arithmetic for reports, on EAT calendar days written `YYYY-MM-DD`: which bucket a day
// falls in (day, ISO week starting Monday, month), every bucket of a range, and the previous period
// a range is compared with. Pure: days are plain dates here, the EAT conversion happens in SQL.

export const INTERVALS = ["day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];

const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, "0");

const toUtc = (day: string) => Date.parse(`${day}T00:00:00Z`);
const fromUtc = (ms: number) => {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, "0")}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};

export function shiftDays(day: string, days: number): string {
  return fromUtc(toUtc(day) + days * DAY_MS);
}

/** Same day-of-month `months` later, clamped to the month's end (31 Mar − 1 month = 28/29 Feb). */
export function shiftMonths(day: string, months: number): string {
  const [y, m, d] = day.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(
    Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0),
  ).getUTCDate();
  return fromUtc(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, lastDay)));
}

/** Inclusive count of days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to) - toUtc(from)) / DAY_MS) + 1;
}

/** The first day of the bucket a day belongs to. Weeks start on Monday, as in Kenya's working week. */
export function bucketOf(day: string, interval: Interval): string {
  if (interval === "day") return day;
  if (interval === "month") return `${day.slice(0, 7)}-01`;
  const weekday = (new Date(toUtc(day)).getUTCDay() + 6) % 7; // Monday = 0
  return shiftDays(day, -weekday);
}

/** Every bucket touching the range, in order (the first and last may be partly outside it). */
export function bucketsBetween(from: string, to: string, interval: Interval): string[] {
  const buckets: string[] = [];
  for (let day = bucketOf(from, interval); day <= to;) {
    buckets.push(day);
    day =
      interval === "day"
        ? shiftDays(day, 1)
        : interval === "week"
          ? shiftDays(day, 7)
          : shiftMonths(day, 1);
  }
  return buckets;
}

/**
 * The period a range is compared with: just before it, moved by whole buckets so the n-th bucket of
 * one lines up with the n-th of the other (30 days → the 30 before; 3 months → the 3 months before).
 */
export function previousRange(
  from: string,
  to: string,
  interval: Interval,
): { from: string; to: string } {
  if (interval === "month") {
    const months = bucketsBetween(from, to, "month").length;
    return { from: shiftMonths(from, -months), to: shiftMonths(to, -months) };
  }
  const days = daysBetween(from, to);
  const shift = interval === "week" ? Math.ceil(days / 7) * 7 : days;
  return { from: shiftDays(from, -shift), to: shiftDays(to, -shift) };
}

/** Short labels for chart axes: `14 Mar` for days and weeks, `Mar 2025` for months. */
export function bucketLabel(bucket: string, interval: Interval): string {
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const [y, m, d] = bucket.split("-").map(Number);
  return interval === "month" ? `${months[m - 1]} ${y}` : `${d} ${months[m - 1]}`;
}
