// Opaque keyset cursors for every list: `[sortValue, id]` of the last row, base64url-encoded JSON.
// Keyset (not OFFSET) keeps page 5,000 as fast as page 1 on a million rows.

export type CursorValue = [string | number, string | number];

export function encodeCursor(value: CursorValue): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeCursor(cursor: string | null | undefined): CursorValue | null {
  if (!cursor) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((v) => typeof v === "string" || typeof v === "number")
    )
      return value as CursorValue;
  } catch {
    // fall through: a mangled cursor is a client error, not a crash
  }
  return null;
}
