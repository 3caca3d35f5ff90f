// An import in this process leaves room for the rest of the server: on PGlite every query answers
// without I/O, so unless the import gives the event loop a turn, no request, Daraja callback or timer
// runs until the whole file is stored. (PostgreSQL's socket gives those turns by itself.)
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { buildStatementCsv, generateStatementLines } from "../../../tests/support/statement-file";
import type { Actor } from "../auth/staff-audit.server";
import { importStatement } from "./import.server";

let app: TestApp;
let finance: Actor;

beforeAll(async () => {
  app = await startTestApp();
  finance = actorFor(await makeUser(app.ctx, "finance"));
});
afterAll(async () => app?.close());

it("lets other work of the process run while the file is parsed and stored", async () => {
  const lines = [...generateStatementLines(25_000, 7)];
  const csv = buildStatementCsv({ lines, preamble: false });
  let parsed = 0;
  // What the import had parsed when other work of this process first got a turn.
  let parsedWhenOthersRan: number | null = null;
  setImmediate(() => (parsedWhenOthersRan = parsed));
  const result = await importStatement(app.ctx, {
    fileName: "busy-month.csv",
    input: csv,
    actor: finance,
    onProgress: (p) => (parsed = p.parsed),
  });
  expect(result.summary.lines).toBe(25_000);
  expect(parsedWhenOthersRan).not.toBeNull();
  expect(parsedWhenOthersRan!).toBeLessThan(25_000);
});
