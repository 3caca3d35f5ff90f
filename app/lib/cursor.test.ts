// List cursors are client input: a date half that is not on the calendar must be refused here (a 400
// by the caller), not reach PostgreSQL as `::timestamptz` (a 500).
import { decodeCursor, encodeCursor } from "./cursor";

const id = "0b0f6c1e-8a4e-4a53-9d2b-7a4b2a1c9e11";

it.each([
  "2025-02-30T10:00:00.000Z",
  "2025-13-01T10:00:00.000Z",
  "2025-04-31 10:00:00+03",
  "2025-01-01T24:00:00Z",
  "2025-01-01T10:61:00Z",
  "0099-01-01T10:00:00Z",
])("refuses %s as a date", (at) => {
  expect(decodeCursor(encodeCursor([at, id]), ["date", "uuid"])).toBeNull();
});

it.each(["2025-02-28T23:59:59.999Z", "2024-02-29 10:00:00.123456+03:00", "2026-12-01T00:00:00Z"])(
  "takes %s",
  (at) => {
    expect(decodeCursor(encodeCursor([at, id]), ["date", "uuid"])).toEqual([at, id]);
  },
);
