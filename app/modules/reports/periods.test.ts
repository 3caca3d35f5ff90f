import {
  bucketLabel,
  bucketOf,
  bucketsBetween,
  daysBetween,
  previousRange,
  shiftMonths,
} from "./periods";

describe("report periods", () => {
  it("puts days in Monday weeks and calendar months", () => {
    expect(bucketOf("2025-03-16", "week")).toBe("2025-03-10"); // a Sunday belongs to the week that began on Monday
    expect(bucketOf("2025-03-17", "week")).toBe("2025-03-17");
    expect(bucketOf("2025-03-31", "month")).toBe("2025-03-01");
    expect(bucketsBetween("2025-01-30", "2025-03-02", "month")).toEqual([
      "2025-01-01",
      "2025-02-01",
      "2025-03-01",
    ]);
    expect(bucketsBetween("2025-03-12", "2025-03-18", "week")).toEqual([
      "2025-03-10",
      "2025-03-17",
    ]);
  });

  it("compares a range with the same number of buckets just before it", () => {
    expect(previousRange("2025-03-01", "2025-03-30", "day")).toEqual({
      from: "2025-01-30",
      to: "2025-02-28",
    });
    expect(previousRange("2025-03-10", "2025-03-23", "week")).toEqual({
      from: "2025-02-24",
      to: "2025-03-09",
    });
    expect(previousRange("2025-01-01", "2025-03-31", "month")).toEqual({
      from: "2024-10-01",
      to: "2024-12-31",
    });
    expect(daysBetween("2025-03-01", "2025-03-30")).toBe(30);
  });

  it("clamps month arithmetic to the end of shorter months", () => {
    expect(shiftMonths("2025-03-31", -1)).toBe("2025-02-28");
    expect(shiftMonths("2024-03-31", -1)).toBe("2024-02-29");
    expect(shiftMonths("2025-01-15", -2)).toBe("2024-11-15");
  });

  it("labels buckets for chart axes", () => {
    expect(bucketLabel("2025-03-14", "day")).toBe("14 Mar");
    expect(bucketLabel("2025-03-01", "month")).toBe("Mar 2025");
  });
});
