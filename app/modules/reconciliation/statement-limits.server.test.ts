// A file that is not a statement is refused before it costs memory: a header far wider than M-PESA's
// 11 or 13 columns (each line's raw cells are copied per named column), or a row of megabytes.
import { buildStatementCsv } from "../../../tests/support/statement-file";
import { readStatement, StatementFormatError } from "./statement-parse.server";

const drain = async (input: string) => {
  let lines = 0;
  for await (const event of readStatement(input)) if (event.type === "line") lines += 1;
  return lines;
};

const good = buildStatementCsv({
  lines: [
    { receipt: "TCE4XK2P7Q", completedAt: new Date("2025-03-14T07:15:39Z"), amountKes: 1250 },
  ],
});

it("reads a real statement (the control)", async () => {
  expect(await drain(good)).toBe(1);
});

it("refuses a header of thousands of columns, naming what it expected", async () => {
  const at = good.indexOf("Receipt No.");
  expect(at).toBeGreaterThanOrEqual(0);
  const end = good.slice(at).search(/\r?\n/) + at;
  const extra = Array.from({ length: 5_000 }, (_, i) => `,Extra ${i}`).join("");
  const wide = `${good.slice(0, end)}${extra}${good.slice(end)}`;
  const refused = await drain(wide).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(StatementFormatError);
  expect(String(refused)).toMatch(
    /header row has \d+ cells; an M-PESA statement has 11 or 13 columns/,
  );
});

it("reads a header Excel padded with hundreds of empty cells", async () => {
  const at = good.indexOf("Receipt No.");
  const end = good.slice(at).search(/\r?\n/) + at;
  const padded = `${good.slice(0, end)}${",".repeat(500)}${good.slice(end)}`;
  expect(await drain(padded)).toBe(1);
});

it("refuses a row of megabytes", async () => {
  const huge = `${good}TCE4XK2P7R,"${"x".repeat(200_000)}"\n`;
  const refused = await drain(huge).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(StatementFormatError);
  expect(String(refused)).toMatch(/not valid CSV/);
});
