// Opaque keyset cursors for every list: `[sortValue, id]` of the last row, base64url-encoded JSON.
// Keyset (not OFFSET) keeps page 5,000 as fast as page 1 on a million rows.
import { isRealDateTime } from "./time";
import { UUID } from "./uuid";

export type CursorValue = [string | number, string | number];

export function encodeCursor(value: CursorValue): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

// What each half of a cursor must be before it reaches SQL: a cursor is client input, and
// `["not a date", "x"]` cast to timestamptz/uuid would otherwise be a 500 instead of a 400.
export type CursorPart = "date" | "int" | "uuid" | "any";
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$/;
/** A date and time on the calendar (checked before `new Date()` could roll 2025-02-30 over). */
function onCalendar(v: string): boolean {
  const [y, mo, d, h, mi, s] = v
    .slice(0, 19)
    .split(/[-T :]/)
    .map(Number);
  return y >= 1000 && isRealDateTime(y, mo, d, h, mi, s);
}
const fits: Record<CursorPart, (v: string | number) => boolean> = {
  date: (v) => typeof v === "string" && ISO.test(v) && onCalendar(v),
  int: (v) =>
    Number.isSafeInteger(typeof v === "number" ? v : /^-?\d{1,16}$/.test(v) ? Number(v) : NaN),
  uuid: (v) => typeof v === "string" && UUID.test(v),
  any: () => true,
};

export function decodeCursor(
  cursor: string | null | undefined,
  shape: [CursorPart, CursorPart] = ["any", "any"],
): CursorValue | null {
  if (!cursor || cursor.length > 500) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((v) => typeof v === "string" || typeof v === "number") &&
      fits[shape[0]](value[0]) &&
      fits[shape[1]](value[1])
    )
      return value as CursorValue;
  } catch {
    // fall through: a mangled cursor is a client error, not a crash
  }
  return null;
}
