// The band rules a tariff version must keep, and the lookup they make safe: in a valid schedule every
// amount from the first band's start to the last band's end has exactly one band.
import fc from "fast-check";
import { parseWith } from "../../lib/validation";
import { bandProblem, findBand, TariffVersionFormSchema, type Band } from "./bands";
import { EXAMPLE_TARIFF } from "./example-tariff";

/** A contiguous schedule: band widths and charges chosen at random, starting anywhere. */
const schedule = fc
  .record({
    start: fc.integer({ min: 0, max: 1_000 }),
    bands: fc.array(fc.record({ width: fc.integer({ min: 1, max: 5_000 }), charge: fc.nat(500) }), {
      minLength: 1,
      maxLength: 30,
    }),
  })
  .map(({ start, bands }) => {
    let from = start;
    return bands.map(({ width, charge }): Band => {
      const band = { minKes: from, maxKes: from + width - 1, chargeKes: charge };
      from += width;
      return band;
    });
  });

const lines = (bands: Band[]) =>
  bands.map((b) => `${b.minKes},${b.maxKes},${b.chargeKes}`).join("\n");
const form = (over: Record<string, string>) => ({
  effectiveFrom: "2026-01-01T00:00",
  label: "Contract 2026",
  paybill: "",
  buy_goods: "",
  ...over,
});

describe("band lookup", () => {
  it("maps every amount in a covered range to exactly one band, and nothing outside it", () => {
    fc.assert(
      fc.property(schedule, fc.integer({ min: 0, max: 200_000 }), (bands, amount) => {
        expect(bandProblem(bands)).toBeNull();
        const covering = bands.filter((b) => amount >= b.minKes && amount <= b.maxKes);
        const inRange = amount >= bands[0].minKes && amount <= bands.at(-1)!.maxKes;
        expect(covering).toHaveLength(inRange ? 1 : 0);
        expect(findBand(bands, amount)).toEqual(inRange ? covering[0] : null);
      }),
    );
  });

  it("accepts any contiguous schedule through the form, whatever order its lines come in", () => {
    fc.assert(
      fc.property(schedule, (bands) => {
        const shuffled = [...bands].reverse();
        const parsed = parseWith(TariffVersionFormSchema, form({ buy_goods: lines(shuffled) }));
        expect(parsed.buy_goods).toEqual(bands);
      }),
    );
  });

  it("finds the example schedule's bands at their edges", () => {
    expect(findBand(EXAMPLE_TARIFF.paybill, 100)?.chargeKes).toBe(0);
    expect(findBand(EXAMPLE_TARIFF.paybill, 101)?.chargeKes).toBe(5);
    expect(findBand(EXAMPLE_TARIFF.paybill, 250_000)?.chargeKes).toBe(77);
    expect(findBand(EXAMPLE_TARIFF.paybill, 250_001)).toBeNull();
    expect(findBand(EXAMPLE_TARIFF.paybill, 0)).toBeNull();
    for (const bands of Object.values(EXAMPLE_TARIFF)) expect(bandProblem(bands)).toBeNull();
  });
});

describe("the tariff version form", () => {
  const refusal = (over: Record<string, string>) => {
    try {
      parseWith(TariffVersionFormSchema, form(over));
    } catch (error) {
      return (error as Error).message;
    }
    return "accepted";
  };

  it("refuses a gap between bands, naming the amounts left without a charge", () => {
    expect(refusal({ paybill: "1,100,0\n150,500,5" })).toMatch(
      /Paybill: Gap .* amounts 101–149 would have no charge/,
    );
  });

  it("refuses overlapping bands", () => {
    expect(refusal({ paybill: "1,100,0\n100,500,5" })).toMatch(/overlaps band 1/);
  });

  it("refuses negative, decimal and missing figures, and a band that ends before it starts", () => {
    expect(refusal({ paybill: "1,100,-5" })).toMatch(/line 1 .*whole number/);
    expect(refusal({ paybill: "1,100,2.5" })).toMatch(/whole number/);
    expect(refusal({ buy_goods: "1,100" })).toMatch(/Buy Goods, line 1/);
    expect(refusal({ paybill: "500,100,5" })).toMatch(/below “from”/);
  });

  it("needs a real effective time, a name and at least one band", () => {
    expect(refusal({ effectiveFrom: "2026-02-30T10:00", paybill: "1,9,0" })).toMatch(
      /does not exist/,
    );
    expect(refusal({ effectiveFrom: "tomorrow", paybill: "1,9,0" })).toMatch(/date and time/);
    expect(refusal({ label: "", paybill: "1,9,0" })).toMatch(/Name the version/);
    expect(refusal({})).toMatch(/at least one band/);
  });

  it("reads the effective time as East Africa Time and skips blank and # lines", () => {
    const parsed = parseWith(
      TariffVersionFormSchema,
      form({ paybill: "# from, to, charge\n\n1 100 0\n101\t500\t5\n" }),
    );
    expect(parsed.effectiveFrom.toISOString()).toBe("2025-12-31T21:00:00.000Z");
    expect(parsed.paybill).toEqual([
      { minKes: 1, maxKes: 100, chargeKes: 0 },
      { minKes: 101, maxKes: 500, chargeKes: 5 },
    ]);
  });
});
