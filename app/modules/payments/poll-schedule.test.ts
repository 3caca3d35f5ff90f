import type { DarajaError } from "../daraja/errors";
import {
  BACKOFF_FIRST_MS,
  BACKOFF_MAX_MS,
  describeAnswer,
  planNextCheck,
  recheckDelayMs,
  sweepBackoffMs,
} from "./poll-schedule";

const at = (s: number) => new Date(Date.UTC(2026, 2, 14, 7, 0, 0) + s * 1000);

describe("re-checks after a non-final answer", () => {
  it("wait 15 s, 30 s, then 60 s at most, within ±20 % jitter", () => {
    expect([1, 2, 3, 4, 9].map((n) => recheckDelayMs(n, () => 0.5))).toEqual([
      15_000, 30_000, 60_000, 60_000, 60_000,
    ]);
    expect(recheckDelayMs(1, () => 0)).toBe(12_000);
    expect(recheckDelayMs(1, () => 1)).toBe(18_000);
  });

  it("pull the last check in to the give-up time, and give up once it has passed", () => {
    const created = at(0);
    expect(
      planNextCheck(
        { now: at(30), attemptCreatedAt: created, pollCount: 1, giveUpAfterS: 300 },
        () => 0.5,
      ),
    ).toEqual({ giveUp: false, at: at(45) });
    expect(
      planNextCheck(
        { now: at(280), attemptCreatedAt: created, pollCount: 6, giveUpAfterS: 300 },
        () => 0.5,
      ),
    ).toEqual({ giveUp: false, at: at(300) });
    expect(
      planNextCheck({ now: at(300), attemptCreatedAt: created, pollCount: 7, giveUpAfterS: 300 }),
    ).toEqual({ giveUp: true });
  });
});

describe("the sweep-wide pause after a rate limit", () => {
  it("starts at 15 s, doubles while Daraja keeps refusing, is capped, and is forgotten after two quiet minutes", () => {
    expect(sweepBackoffMs(null, at(0))).toBe(BACKOFF_FIRST_MS);
    expect(sweepBackoffMs({ setAt: at(0), until: at(15) }, at(20))).toBe(30_000);
    expect(sweepBackoffMs({ setAt: at(0), until: at(240) }, at(250))).toBe(BACKOFF_MAX_MS);
    expect(sweepBackoffMs({ setAt: at(0), until: at(30) }, at(30 + 121))).toBe(BACKOFF_FIRST_MS);
  });
});

it("describes each answer in a few words for the attempt row", () => {
  expect(
    describeAnswer({ kind: "final", resultCode: "1032", resultDesc: "Request cancelled by user" }),
  ).toBe("1032 Request cancelled by user");
  expect(describeAnswer({ kind: "processing" })).toBe("still processing");
  expect(describeAnswer({ kind: "rate_limited" })).toBe("rate limited");
  expect(describeAnswer({ kind: "error", error: { kind: "timeout" } as DarajaError })).toBe(
    "error: timeout",
  );
});
