// A statement import that stopped where it should not have: a run whose claim another run took stores
// nothing and counts no failed try; one that crashed after its match committed keeps the match's
// summary when resumed; a failed import never keeps its file; and the page says why a try stopped in
// finance's words, with a reference into the server log for anything else.
import { count, eq, inArray, sql } from "drizzle-orm";
import {
  statementImportChunks,
  statementImports,
  statementLines,
  statementStaging,
} from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { buildStatementCsv, generateStatementLines } from "../../../tests/support/statement-file";
import { createLog } from "../../lib/log.server";
import type { AppContext } from "../../context.server";
import type { Actor } from "../auth/staff-audit.server";
import { failureReason } from "./import-model.server";
import {
  LeaseLost,
  queueStatementImport,
  runPendingImports,
  runStatementImport,
  UPLOAD_CUT_OFF_AFTER_MINUTES,
} from "./import.server";
import { matchStatementImport } from "./match.server";
import { getStatementImport } from "./queries.server";

let app: TestApp;
let finance: Actor & { kind: "user" };

beforeAll(async () => {
  app = await startTestApp();
  finance = actorFor(await makeUser(app.ctx, "finance", { name: "Achieng Finance" }));
});
afterAll(async () => app?.close());

const fileFor = (seed: number, lines = 300) =>
  buildStatementCsv({
    lines: [...generateStatementLines(lines, seed, new Date(Date.UTC(2023, seed, 1)))],
  });

const queue = async (ctx: AppContext, fileName: string, csv: string, actor: Actor = finance) => {
  const queued = await queueStatementImport(
    ctx,
    { fileName, input: Buffer.from(csv), actor },
    true,
  );
  if (queued.status !== "queued") throw new Error(`${fileName} was already imported`);
  return queued.importId;
};

const rowOf = async (importId: string) =>
  (await app.ctx.db.select().from(statementImports).where(eq(statementImports.id, importId)))[0];

const linesOf = async (importId: string) =>
  (
    await app.ctx.db
      .select({ n: count() })
      .from(statementLines)
      .where(eq(statementLines.importId, importId))
  )[0].n;

it("a run whose claim another run took while it stored commits nothing, counts no failed try, and leaves the import to the new owner", async () => {
  const importId = await queue(app.ctx, "stale.csv", fileFor(1));
  // A process that died: PGlite's lease is its process, so another instance may take the import.
  const other = { ...app.ctx, instanceId: "other-instance" };
  // Its claim lands as this run's rows reach the staging table, before they are moved into lines.
  await app.ctx.db.execute(
    sql.raw(`create function import_test_take() returns trigger language plpgsql as $$
      begin update statement_imports set claimed_by = 'other-instance', claim_token = gen_random_uuid()
        where id = '${importId}'; return null; end $$`),
  );
  await app.ctx.db.execute(
    sql.raw(`create trigger import_test_take after insert on statement_staging
      for each statement execute function import_test_take()`),
  );
  try {
    await expect(
      runStatementImport(app.ctx, importId, { keepFailed: true }),
    ).rejects.toBeInstanceOf(LeaseLost);
  } finally {
    await app.ctx.db.execute(sql.raw(`drop trigger import_test_take on statement_staging`));
    await app.ctx.db.execute(sql.raw(`drop function import_test_take`));
  }
  expect(await linesOf(importId)).toBe(0);
  expect(await rowOf(importId)).toMatchObject({
    // (PostgreSQL's row says storing, as the run reported; PGlite keeps that in the process.)
    state: expect.stringMatching(/^(queued|storing)$/),
    claimedBy: "other-instance",
    failedTries: 0,
    error: null,
  });
  // The new owner runs it as if nothing had happened.
  const result = await runStatementImport(other, importId, { keepFailed: true });
  expect(result?.summary.lines).toBe(300);
  expect(await linesOf(importId)).toBe(300);
  expect((await getStatementImport(app.ctx.db, importId))?.state).toBe("done");
});

/** A payment marked paid (receipt pending) inside the file's period (its preamble says March 2025) that no line of it shows. */
const paidButNotOnStatement = (ctx: AppContext) =>
  ctx.db
    .execute(sql`insert into payments (order_ref, amount_kes, phone, description, account_reference,
    status, paid_at, receipt_pending)
    values ('NOT-ON-STATEMENT', 4321, '254712345678', 'test', 'X', 'paid', '2025-03-10T09:00:00Z', true)`);

it("an import that crashed after its match committed, before it was marked done, reports the match when resumed", async () => {
  const csv = fileFor(2);
  // The same file, uninterrupted, in a database of its own.
  const fresh = await startTestApp();
  let whole;
  try {
    await paidButNotOnStatement(fresh.ctx);
    const id = await queue(fresh.ctx, "whole.csv", csv, { kind: "system", label: "test" });
    whole = await runStatementImport(fresh.ctx, id, {
      keepFailed: true,
      matcher: matchStatementImport,
    });
  } finally {
    await fresh.close();
  }
  expect(whole?.summary.match).toMatchObject({
    exceptions: expect.any(Number),
    reversals: expect.any(Number),
  });
  expect(whole?.summary.match?.exceptions).toBeGreaterThan(0);
  expect(whole?.summary.match?.reversals).toBeGreaterThan(0);
  expect(whole?.summary.match?.missingFromStatement).toBe(1);

  await paidButNotOnStatement(app.ctx);
  const importId = await queue(app.ctx, "crashed.csv", csv);
  await expect(
    runStatementImport(app.ctx, importId, {
      keepFailed: true,
      matcher: async (...args) => {
        await matchStatementImport(...args);
        throw new Error("killed after matching (test)");
      },
    }),
  ).rejects.toThrow("killed after matching");
  expect(await runPendingImports(app.ctx)).toBe(1);
  const view = await getStatementImport(app.ctx.db, importId);
  expect(view?.state).toBe("done");
  expect(view?.summary?.match).toEqual(whole?.summary.match);
});

it("the job frees the file of an import that ended without freeing it, and staged rows no run will move", async () => {
  const ended = await app.ctx.db
    .insert(statementImports)
    .values(
      (["done", "failed"] as const).map((state) => ({
        fileSha256: `${state}:${crypto.randomUUID()}`,
        fileName: `${state}.csv`,
        layout: "modern13",
        state,
      })),
    )
    .returning({ id: statementImports.id });
  // Being stored by this process right now: its file and staged rows stay.
  const [storing] = await app.ctx.db
    .insert(statementImports)
    .values({
      fileSha256: `pending:${crypto.randomUUID()}`,
      fileName: "storing.csv",
      layout: "unknown",
      state: "storing",
      claimedBy: app.ctx.instanceId,
      claimedAt: new Date(),
    })
    .returning({ id: statementImports.id });
  const dropped = crypto.randomUUID(); // an import row deleted (a refused file in the CLI)
  const all = [...ended.map((e) => e.id), storing.id];
  await app.ctx.db
    .insert(statementImportChunks)
    .values(all.map((importId) => ({ importId, seq: 0, data: Buffer.from("Receipt No.,") })));
  await app.ctx.db
    .insert(statementStaging)
    .values(
      [...all, dropped].map((importId, rowNo) => ({ importId, rowNo, receipt: `SWEEP${rowNo}` })),
    );

  await runPendingImports(app.ctx);

  const chunks = await app.ctx.db
    .select({ importId: statementImportChunks.importId })
    .from(statementImportChunks)
    .where(inArray(statementImportChunks.importId, all));
  expect(chunks.map((c) => c.importId)).toEqual([storing.id]);
  const staged = await app.ctx.db
    .select({ importId: statementStaging.importId })
    .from(statementStaging)
    .where(inArray(statementStaging.importId, [...all, dropped]));
  expect(staged.map((s) => s.importId)).toEqual([storing.id]);
  await app.ctx.db.delete(statementStaging).where(eq(statementStaging.importId, storing.id));
  await app.ctx.db.delete(statementImports).where(inArray(statementImports.id, all));
});

it("a cut-off upload is failed only together with freeing its file", async () => {
  const [cut] = await app.ctx.db
    .insert(statementImports)
    .values({
      fileSha256: `pending:${crypto.randomUUID()}`,
      fileName: "cut.csv",
      layout: "unknown",
      state: "uploading",
      importedAt: new Date(Date.now() - (UPLOAD_CUT_OFF_AFTER_MINUTES + 1) * 60_000),
    })
    .returning();
  await app.ctx.db
    .insert(statementImportChunks)
    .values({ importId: cut.id, seq: 0, data: Buffer.from("Receipt No.,") });
  // The chunks cannot be deleted (the database refuses, as it might under a lock time-out).
  await app.ctx.db.execute(
    sql.raw(`create function import_test_keep() returns trigger language plpgsql as $$
      begin raise exception 'chunks locked (test)'; end $$`),
  );
  await app.ctx.db.execute(
    sql.raw(`create trigger import_test_keep before delete on statement_import_chunks
      for each row execute function import_test_keep()`),
  );
  try {
    await expect(runPendingImports(app.ctx)).rejects.toThrow();
  } finally {
    await app.ctx.db.execute(sql.raw(`drop trigger import_test_keep on statement_import_chunks`));
    await app.ctx.db.execute(sql.raw(`drop function import_test_keep`));
  }
  // Not failed with its file kept: still waiting to be failed and freed at once.
  expect((await rowOf(cut.id)).state).toBe("uploading");
  await runPendingImports(app.ctx);
  expect((await rowOf(cut.id)).state).toBe("failed");
  const [left] = await app.ctx.db
    .select({ n: count() })
    .from(statementImportChunks)
    .where(eq(statementImportChunks.importId, cut.id));
  expect(left.n).toBe(0);
});

describe("why a try stopped, as the import page says it", () => {
  const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
  const wrapped = (cause: Error) =>
    new Error("Failed query: insert into statement_lines …\nparams: 254712345678", { cause });

  it.each([
    [
      wrapped(coded("could not extend file: No space left on device", "53100")),
      "the database is out of disk space",
    ],
    [coded("connect ECONNREFUSED 10.4.2.7:5432", "ECONNREFUSED"), "the database was unreachable"],
    [
      wrapped(coded("terminating connection due to administrator command", "57P01")),
      "the database was unreachable",
    ],
    [
      coded("write CONNECTION_CLOSED 10.4.2.7:5432", "CONNECTION_CLOSED"),
      "the database was unreachable",
    ],
    [
      new Error("statement import: 3000 rows were parsed but 2998 reached the database"),
      "some rows did not reach the database",
    ],
    [
      new Error("statement import: a piece of 20000 rows reached the database as 19998"),
      "some rows did not reach the database",
    ],
    [
      wrapped(coded('relation "statement_lines_tmp" does not exist', "42P01")),
      "an internal error (see the server log, ref 1a2b3c4d)",
    ],
    ["a thrown string", "an internal error (see the server log, ref 1a2b3c4d)"],
  ])("%s", (error, said) => {
    expect(failureReason(error, "1a2b3c4d")).toBe(said);
  });

  it("an internal error names a reference the server log has the detail under", async () => {
    const logged: string[] = [];
    const log = createLog("info", { write: (line: string) => void logged.push(line) });
    const ctx = { ...app.ctx, log };
    const importId = await queue(ctx, "internal.csv", fileFor(3));
    await expect(
      runStatementImport(ctx, importId, {
        keepFailed: true,
        matcher: async () => {
          throw new Error('relation "statement_lines_tmp" does not exist (test) at 10.4.2.7');
        },
      }),
    ).rejects.toThrow("does not exist");
    const error = (await getStatementImport(app.ctx.db, importId))?.error ?? "";
    const ref = error.match(/^an internal error \(see the server log, ref ([0-9a-f]{8})\)$/)?.[1];
    expect(ref).toBeDefined();
    expect(error).not.toContain("10.4.2.7");
    const line = logged.find((l) => l.includes(ref!));
    expect(line).toContain("statement_lines_tmp");
    await runStatementImport(app.ctx, importId, { keepFailed: true });
  });
});
