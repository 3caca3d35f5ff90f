import { afterEach, describe, expect, it, vi } from "vitest";
import {
  addDays,
  eatDay,
  eatParts,
  formatEat,
  formatEatDate,
  fromEatWallClock,
  isCalendarDay,
  isRealDateTime,
  parseDarajaTimestamp,
  parseDayFirstEat,
  startOfEatDay,
  toDarajaTimestamp,
} from "./time";

const at = (iso: string) => new Date(iso);

describe("toDarajaTimestamp", () => {
  it.each([
    ["2025-03-14T07:15:12Z", "20250314101512"],
    ["2025-03-14T07:15:12.999Z", "20250314101512"],
    ["2024-12-31T21:30:00Z", "20250101003000"],
    ["2024-12-31T20:59:59Z", "20241231235959"],
    ["2025-02-28T21:00:00Z", "20250301000000"],
    ["2024-02-28T21:00:00Z", "20240229000000"],
    ["2025-06-30T22:05:09Z", "20250701010509"],
    ["1970-01-01T00:00:00Z", "19700101030000"],
  ])("%s → %s (EAT is UTC+3)", (iso, stamp) => {
    expect(toDarajaTimestamp(at(iso))).toBe(stamp);
  });

  // The classic bug is formatting with the server's local clock
  // (docs/daraja.md#password-and-timestamp). The same instant written from servers in Los Angeles,
  // UTC, Nairobi and Tokyo must give one Nairobi timestamp.
  it.each([
    "2025-03-13T23:15:12-08:00",
    "2025-03-14T07:15:12+00:00",
    "2025-03-14T10:15:12+03:00",
    "2025-03-14T16:15:12+09:00",
    "2025-03-14T12:45:12+05:30",
  ])("reads %s as 10:15:12 in Nairobi", (iso) => {
    expect(toDarajaTimestamp(at(iso))).toBe("20250314101512");
  });

  describe("whatever the process time zone", () => {
    // Restore only our own spies: the shared setup owns the console.error spy.
    const spies: { mockRestore(): void }[] = [];
    afterEach(() => spies.splice(0).forEach((spy) => spy.mockRestore()));

    it("never reads the local clock", () => {
      const local = [
        "getFullYear",
        "getMonth",
        "getDate",
        "getDay",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getTimezoneOffset",
      ] as const;
      for (const getter of local) {
        spies.push(
          vi.spyOn(Date.prototype, getter).mockImplementation(() => {
            throw new Error(`local getter ${getter} used`);
          }),
        );
      }
      expect(toDarajaTimestamp(at("2024-12-31T21:30:00Z"))).toBe("20250101003000");
      expect(parseDarajaTimestamp("20250101003000")?.toISOString()).toBe(
        "2024-12-31T21:30:00.000Z",
      );
      expect(eatDay(at("2024-12-31T21:30:00Z"))).toBe("2025-01-01");
    });
  });
});

describe("eatParts", () => {
  it("gives the Nairobi wall clock", () => {
    expect(eatParts(at("2024-12-31T21:30:05.250Z"))).toEqual({
      year: 2025,
      month: 1,
      day: 1,
      hour: 0,
      minute: 30,
      second: 5,
      millisecond: 250,
    });
  });
});

describe("parseDarajaTimestamp", () => {
  it.each<[unknown, string]>([
    [20250314101539, "2025-03-14T07:15:39.000Z"],
    ["20250314101539", "2025-03-14T07:15:39.000Z"],
    [" 20250314101539 ", "2025-03-14T07:15:39.000Z"],
    [20250101003000, "2024-12-31T21:30:00.000Z"],
    ["20240229235959", "2024-02-29T20:59:59.000Z"],
    ["20250314000000", "2025-03-13T21:00:00.000Z"],
  ])("reads %j as EAT → %s", (raw, iso) => {
    expect(parseDarajaTimestamp(raw)?.toISOString()).toBe(iso);
  });

  it.each<[unknown]>([
    [20250231101512],
    ["20250231101512"],
    ["20250229101512"],
    ["20250431101512"],
    ["20251301101512"],
    ["20250001101512"],
    ["20250300101512"],
    ["20250314241512"],
    ["20250314106012"],
    ["20250314101560"],
    ["2025031410153"],
    ["202503141015390"],
    ["2025-03-14 10:15:39"],
    ["2025031410153a"],
    [""],
    [20250314101539.5],
    [-20250314101539],
    [2.0250314101539e20],
    [NaN],
    [null],
    [undefined],
    [{}],
    [["20250314101539"]],
  ])("refuses %j", (raw) => {
    expect(parseDarajaTimestamp(raw)).toBeNull();
  });

  it.each(["20250314101512", "20241231235959", "20250101000000", "20240229120000"])(
    "round-trips %s",
    (stamp) => {
      expect(toDarajaTimestamp(parseDarajaTimestamp(stamp)!)).toBe(stamp);
    },
  );
});

describe("fromEatWallClock", () => {
  it("names the instant of an EAT wall-clock time", () => {
    expect(fromEatWallClock(2025, 3, 14, 10, 15, 39)?.toISOString()).toBe(
      "2025-03-14T07:15:39.000Z",
    );
    expect(fromEatWallClock(2025, 1, 1)?.toISOString()).toBe("2024-12-31T21:00:00.000Z");
  });

  it.each<[number[]]>([
    [[2025, 2, 30]],
    [[2025, 3, 14, 24]],
    [[2025, 3, 14, 10, 60]],
    [[2025, 3, 14, 10, 15, 60]],
    [[2025, 3, 14.5]],
    [[2025, 0, 1]],
  ])("refuses %j", (parts) => {
    const [y, mo, d, h, mi, s] = parts;
    expect(fromEatWallClock(y, mo, d, h, mi, s)).toBeNull();
  });
});

describe("isCalendarDay and isRealDateTime", () => {
  it("knows a real calendar day from a look-alike", () => {
    expect(isCalendarDay("2024-02-29")).toBe(true);
    expect(isCalendarDay("2025-02-29")).toBe(false);
    expect(isCalendarDay("2025-3-1")).toBe(false);
    expect(isCalendarDay("2025-13-01")).toBe(false);
    expect(isCalendarDay("2025-03-14 ")).toBe(false);
    // A report's previous period of 0100-01-01 would fall in year 99, which PostgreSQL refuses.
    expect(isCalendarDay("0100-01-01")).toBe(false);
    expect(isCalendarDay("1000-01-01")).toBe(true);
  });

  it("refuses a time that Date.UTC would roll over", () => {
    expect(isRealDateTime(2025, 3, 14, 23, 59, 59)).toBe(true);
    expect(isRealDateTime(2025, 3, 14, 24)).toBe(false);
    expect(isRealDateTime(2025, 3, 14, 10, 60)).toBe(false);
    expect(isRealDateTime(2025, 4, 31)).toBe(false);
    expect(isRealDateTime(2025, 3, Number.NaN)).toBe(false);
  });
});

describe("parseDayFirstEat (statement times)", () => {
  it.each([
    ["14-03-2025 10:15:39", "2025-03-14T07:15:39.000Z"],
    ["14/03/2025 10:15:39", "2025-03-14T07:15:39.000Z"],
    ["14-03-2025T10:15:39", "2025-03-14T07:15:39.000Z"],
    [" 14-03-2025 10:15:39 ", "2025-03-14T07:15:39.000Z"],
    ["14-03-2025 10:15", "2025-03-14T07:15:00.000Z"],
    ["1-3-2025 9:05", "2025-03-01T06:05:00.000Z"],
    ["14-03-2025", "2025-03-13T21:00:00.000Z"],
    ["01-01-2025 00:30:00", "2024-12-31T21:30:00.000Z"],
    ["29/02/2024 23:59:59", "2024-02-29T20:59:59.000Z"],
  ])("reads %j day-first as EAT → %s", (raw, iso) => {
    expect(parseDayFirstEat(raw)?.toISOString()).toBe(iso);
  });

  it.each([
    "31-02-2025 10:00:00",
    "29-02-2025",
    "14-13-2025",
    "03/14/2025 10:15:39",
    "14-03-2025 24:00:00",
    "14-03-2025 10:60",
    "14-03-25 10:15:39",
    "2025-03-14 10:15:39",
    "14.03.2025",
    "",
    "yesterday",
  ])("refuses %j", (raw) => {
    expect(parseDayFirstEat(raw)).toBeNull();
  });
});

describe("eatDay and startOfEatDay", () => {
  it.each([
    ["2025-03-13T21:00:00.000Z", "2025-03-14"],
    ["2025-03-13T20:59:59.999Z", "2025-03-13"],
    ["2024-12-31T21:30:00Z", "2025-01-01"],
    ["2025-03-14T20:59:59Z", "2025-03-14"],
  ])("%s falls on %s in Nairobi", (iso, day) => {
    expect(eatDay(at(iso))).toBe(day);
  });

  it.each([
    ["2025-03-14", "2025-03-13T21:00:00.000Z"],
    ["2025-01-01", "2024-12-31T21:00:00.000Z"],
    ["2024-02-29", "2024-02-28T21:00:00.000Z"],
  ])("the EAT day %s starts at %s", (day, iso) => {
    expect(startOfEatDay(day).toISOString()).toBe(iso);
    expect(eatDay(startOfEatDay(day))).toBe(day);
  });

  it.each(["2025-02-30", "2025-13-01", "14-03-2025", "2025-3-14", ""])(
    "startOfEatDay refuses %j",
    (day) => {
      expect(() => startOfEatDay(day)).toThrow(RangeError);
    },
  );

  it.each<[string, number, string]>([
    ["2025-03-14", 0, "2025-03-14"],
    ["2025-03-14", 1, "2025-03-15"],
    ["2025-02-28", 1, "2025-03-01"],
    ["2024-02-28", 1, "2024-02-29"],
    ["2025-01-01", -1, "2024-12-31"],
    ["2025-12-25", 7, "2026-01-01"],
  ])("addDays(%s, %d) → %s", (day, days, result) => {
    expect(addDays(day, days)).toBe(result);
  });
});

describe("formatEat", () => {
  it.each<[Date | string | null | undefined, string]>([
    [at("2025-03-14T07:15:39Z"), "14 Mar 2025, 10:15:39 EAT"],
    ["2025-03-14T07:15:39Z", "14 Mar 2025, 10:15:39 EAT"],
    [at("2024-12-31T21:00:00Z"), "1 Jan 2025, 00:00:00 EAT"],
    [at("2025-06-30T20:59:59Z"), "30 Jun 2025, 23:59:59 EAT"],
    [null, "—"],
    [undefined, "—"],
  ])("%j → %s", (input, shown) => {
    expect(formatEat(input)).toBe(shown);
  });

  it("formatEatDate shows the Nairobi calendar day", () => {
    expect(formatEatDate(at("2024-12-31T21:00:00Z"))).toBe("1 Jan 2025");
    expect(formatEatDate("2025-03-14T07:15:39Z")).toBe("14 Mar 2025");
  });
});
