// The demo statement and the sample file read back through the importer's own parser.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readStatement, type StatementEvent } from "./statement-parse.server";
import { sampleStatementCsv } from "./statement-csv";

async function read(text: string) {
  const events: StatementEvent[] = [];
  for await (const e of readStatement(text)) events.push(e);
  return events;
}

it("writes a sample the importer reads: the period, the account and every line", async () => {
  const events = await read(sampleStatementCsv());
  const lines = events.flatMap((e) => (e.type === "line" ? [e.line] : []));
  expect(lines.map((l) => [l.receipt, l.paidInKes])).toEqual([
    ["TCE4XK2P7Q", 1250],
    ["TCE5AB3R8M", 600],
    ["TCE6CD4S9N", 3400],
  ]);
  const meta = events.flatMap((e) => (e.type === "meta" ? [e.meta] : []))[0];
  expect(meta).toMatchObject({ shortCode: "174379", layout: "modern13", totalPaidInKes: 5250 });
  expect(meta.periodFrom?.toISOString()).toBe("2025-03-13T21:00:00.000Z");
});

it("ships the same sample in docs/", () => {
  const shipped = readFileSync(
    join(import.meta.dirname, "../../../docs/sample-statement.csv"),
    "utf8",
  );
  expect(shipped).toBe(sampleStatementCsv());
});
