// Column helpers every table file shares: money is integer shillings (bigint read as JS number: the
// largest sums we hold are far below 2^53); every time is timestamptz (UTC).
import { bigint, customType, timestamp } from "drizzle-orm/pg-core";

export const money = (name: string) => bigint(name, { mode: "number" });
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
export const createdAt = () => ts("created_at").notNull().defaultNow();

/** Raw request bodies are kept byte for byte (a malformed callback may not even be valid UTF-8). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) =>
    value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBufferLike),
});
