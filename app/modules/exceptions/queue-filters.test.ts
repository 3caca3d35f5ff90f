// The queue's URL filters: what a person types is understood, anything hostile is a sentence naming
// the field (a 400), never an exception from deep inside SQL.
import { isAppError } from "../../lib/app-error";
import { bulkActionsFor } from "./actions";
import {
  AGE_BUCKET_KEYS,
  ageBucketBounds,
  eatDayBounds,
  parseBulkSelection,
  parseQueueFilters,
} from "./queue-filters";

const parse = (query: string) => parseQueueFilters(new URLSearchParams(query));
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (isAppError(error))
      return { status: error.status, field: error.field, message: error.message };
    throw error;
  }
  throw new Error("accepted");
};

describe("parseQueueFilters", () => {
  it("reads every filter, with amounts as people write them", () => {
    expect(
      parse(
        "status=open&type=statement_only&age=7-30d&minKes=1,250&maxKes=KES 5 000&day=2025-03-14",
      ),
    ).toEqual({
      status: "open",
      type: "statement_only",
      age: "7-30d",
      minKes: 1250,
      maxKes: 5000,
      day: "2025-03-14",
    });
  });

  it("treats empty fields as no filter and defaults to the cases needing action", () => {
    expect(parse("status=&type=&age=&minKes=&maxKes=&day=")).toEqual({ status: "unresolved" });
  });

  it.each([
    ["status=drop table", "status"],
    ["type=statement_only'--", "type"],
    ["age=2d", "age"],
    ["minKes=-5", "minKes"],
    ["minKes=1.5", "minKes"],
    ["minKes=1e3", "minKes"],
    ["maxKes=abc", "maxKes"],
    ["maxKes=9999999999999", "maxKes"],
    ["minKes=500&maxKes=100", "maxKes"],
    ["day=2025-02-31", "day"],
    ["day=yesterday", "day"],
    ["day=2025-3-1", "day"],
  ])("refuses %s with a 400 naming %s", (query, field) => {
    const r = refusal(() => parse(query));
    expect(r).toMatchObject({ status: 400, field });
    expect(r.message.length).toBeGreaterThan(10);
  });
});

describe("age buckets", () => {
  const now = new Date("2026-12-01T09:00:00Z");
  const bucketOf = (ageMs: number) => {
    const at = new Date(now.getTime() - ageMs);
    return AGE_BUCKET_KEYS.filter((k) => {
      const { after, atOrBefore } = ageBucketBounds(k, now);
      return (!after || at > after) && (!atOrBefore || at <= atOrBefore);
    });
  };
  const H = 3_600_000;
  it("puts every age in exactly one bucket, the boundary day in the older one", () => {
    expect(bucketOf(0)).toEqual(["under-1d"]);
    expect(bucketOf(23 * H)).toEqual(["under-1d"]);
    expect(bucketOf(24 * H)).toEqual(["1-7d"]);
    expect(bucketOf(6.9 * 24 * H)).toEqual(["1-7d"]);
    expect(bucketOf(7 * 24 * H)).toEqual(["7-30d"]);
    expect(bucketOf(30 * 24 * H)).toEqual(["over-30d"]);
    expect(bucketOf(400 * 24 * H)).toEqual(["over-30d"]);
  });

  it("reads a day as East Africa Time: 2025-03-14 starts at 21:00 UTC the day before", () => {
    expect(eatDayBounds("2025-03-14")).toEqual({
      start: new Date("2025-03-13T21:00:00Z"),
      end: new Date("2025-03-14T21:00:00Z"),
    });
  });
});

describe("parseBulkSelection", () => {
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  it("takes the filtered cases by default, or exactly the ticked ones", () => {
    expect(parseBulkSelection(new URLSearchParams("type=statement_only"))).toEqual({
      filters: { status: "unresolved", type: "statement_only" },
    });
    expect(
      parseBulkSelection(new URLSearchParams(`scope=checked&id=${id(1)}&id=${id(2)}`)).ids,
    ).toEqual([id(1), id(2)]);
  });

  it.each([
    ["scope=checked", "Choose at least one case"],
    ["scope=checked&id=1;drop", "not valid"],
    [`scope=checked&id=${id(1)}&id=${id(1)}`, "twice"],
    [`scope=checked&${Array.from({ length: 501 }, (_, i) => `id=${id(i)}`).join("&")}`, "at most"],
    ["scope=everything", "scope"],
  ])("refuses %#", (query, message) => {
    expect(refusal(() => parseBulkSelection(new URLSearchParams(query)))).toMatchObject({
      status: 400,
      message: expect.stringContaining(message),
    });
  });
});

describe("bulkActionsFor", () => {
  const viewer = { userId: "u1", canResolve: true };
  const open = (type: string, paymentStatus: string | null = null) =>
    ({ type, status: "open", proposedByUserId: null, paymentStatus }) as Parameters<
      typeof bulkActionsFor
    >[0][number];

  it("offers only what fits every case, never a four-eyes, per-case-detail or M-Pesa action", () => {
    expect(bulkActionsFor([open("statement_only"), open("unmatched_c2b")], viewer)).toEqual([
      "write_off",
      "acknowledge",
    ]);
    expect(bulkActionsFor([open("late_success", "expired")], viewer)).toEqual([
      "write_off",
      "accept_paid",
    ]);
    // Unknown outcome: re-query, expire, paid offline (four eyes); only "expire" goes in bulk.
    expect(bulkActionsFor([open("unknown_outcome", "unknown")], viewer)).toEqual(["mark_expired"]);
    expect(bulkActionsFor([open("statement_only"), open("orphan_callback")], viewer)).toEqual([]);
  });

  it("offers nothing for resolved or proposed cases, nobody without the permission, or no cases", () => {
    const proposed = { ...open("unknown_outcome"), status: "awaiting_approval" as const };
    const resolved = { ...open("statement_only"), status: "resolved" as const };
    expect(bulkActionsFor([open("statement_only"), resolved], viewer)).toEqual([]);
    expect(bulkActionsFor([proposed], viewer)).toEqual([]);
    expect(bulkActionsFor([open("statement_only")], { ...viewer, canResolve: false })).toEqual([]);
    expect(bulkActionsFor([], viewer)).toEqual([]);
  });
});
