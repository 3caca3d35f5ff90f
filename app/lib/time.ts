// Time is stored in UTC and shown in East Africa Time. Every Daraja and statement timestamp is EAT
// without a zone marker (docs/daraja.md#time). Kenya has kept UTC+3 with no daylight saving since
// 1942, so a fixed offset is exact for parsing; formatting goes through Intl with the named zone.

export const EAT_ZONE = "Africa/Nairobi";
const EAT_OFFSET_MS = 3 * 60 * 60 * 1000;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The wall-clock parts of an instant as read in Nairobi. */
export function eatParts(at: Date) {
  const shifted = new Date(at.getTime() + EAT_OFFSET_MS);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millisecond: shifted.getUTCMilliseconds(),
  };
}

/** Daraja's `YYYYMMDDHHmmss` in EAT, whatever the server's TZ. */
export function toDarajaTimestamp(at: Date): string {
  const p = eatParts(at);
  return `${p.year}${pad(p.month)}${pad(p.day)}${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
}

/**
 * Whether the fields name a real date and time. `Date.UTC` rolls 2025-02-30 over to 2 March and
 * 25:00 into the next day, where PostgreSQL refuses them (a 500 instead of a 400): every date read
 * from outside is checked here before it reaches a query.
 */
export function isRealDateTime(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): boolean {
  if (![year, month, day, hour, minute, second].every(Number.isInteger)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day;
}

/**
 * `2025-03-14` written exactly so and on the calendar, from the year 1000 on (a report compares a range
 * with the period before it, which must stay a four-digit year too).
 */
export function isCalendarDay(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return (
    m !== null && Number(m[1]) >= 1000 && isRealDateTime(Number(m[1]), Number(m[2]), Number(m[3]))
  );
}

/** An EAT wall-clock time to the instant it names. Returns null for impossible dates (31 Feb). */
export function fromEatWallClock(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): Date | null {
  if (!isRealDateTime(year, month, day, hour, minute, second)) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second) - EAT_OFFSET_MS);
}

/** `20250314101539` (number or string, as Daraja sends it) read as EAT. */
export function parseDarajaTimestamp(raw: unknown): Date | null {
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return fromEatWallClock(y, mo, d, h, mi, s);
}

/** The statement's day-first `DD-MM-YYYY HH:mm:ss` (or with `/`) read as EAT. */
export function parseDayFirstEat(raw: string): Date | null {
  const m = /^(\d{1,2})[-/](\d{1,2})[-/](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(
    raw.trim(),
  );
  if (!m) return null;
  return fromEatWallClock(
    Number(m[3]),
    Number(m[2]),
    Number(m[1]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
}

/**
 * An Excel serial date-time (days since 1899-12-30, fraction = time of day) read as EAT wall-clock:
 * a statement saved from Excel may carry the raw cell value instead of `DD-MM-YYYY HH:mm:ss`.
 */
export function parseExcelSerialEat(raw: number | string): Date | null {
  const serial =
    typeof raw === "number"
      ? raw
      : /^\d+(\.\d+)?$/.test(raw.trim())
        ? Number(raw.trim())
        : Number.NaN;
  // Below 61 Excel's fictitious 29-02-1900 shifts every day; 2958466 is past 31-12-9999, Excel's limit.
  if (!Number.isFinite(serial) || serial < 61 || serial >= 2_958_466) return null;
  // Round to whole seconds: the fraction is binary floating point, so 10:15:39 is 10:15:38.99999….
  const wallClockMs = Math.round((serial - 25_569) * 86_400) * 1000;
  return new Date(wallClockMs - EAT_OFFSET_MS);
}

/** `2025-03-14` — the EAT calendar day an instant falls on. */
export function eatDay(at: Date): string {
  const p = eatParts(at);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The UTC instant at which an EAT calendar day (`2025-03-14`) starts. */
export function startOfEatDay(day: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const start = m && fromEatWallClock(Number(m[1]), Number(m[2]), Number(m[3]));
  if (!start) throw new RangeError(`not a calendar day: ${day}`);
  return start;
}

export function addDays(day: string, days: number): string {
  return eatDay(new Date(startOfEatDay(day).getTime() + days * 86_400_000));
}

const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: EAT_ZONE,
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const dateFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: EAT_ZONE,
  day: "numeric",
  month: "short",
  year: "numeric",
});

/** `14 Mar 2025, 10:15:39 EAT` — the one way a time is shown to people. */
export function formatEat(at: Date | string | null | undefined): string {
  if (at == null) return "—";
  const d = typeof at === "string" ? new Date(at) : at;
  return `${dateTimeFormat.format(d)} EAT`;
}

export function formatEatDate(at: Date | string): string {
  return dateFormat.format(typeof at === "string" ? new Date(at) : at);
}
