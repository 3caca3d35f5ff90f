// Issue 18: a statement import is a job. The upload answers at once with an import id; the job shows
// its progress; two uploads of the same file at once import it once; an import interrupted while
// storing or while matching is resumed by the next run, complete and never half applied; one that
// keeps failing for a reason of ours does not hold up the imports after it.
import { Readable } from "node:stream";
import { count, eq, inArray, sql } from "drizzle-orm";
import {
  exceptions,
  statementImportChunks,
  statementImports,
  statementLines,
} from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { expectLoggedError } from "../../../tests/support/log";
import { buildStatementCsv, generateStatementLines } from "../../../tests/support/statement-file";
import type { Actor } from "../auth/staff-audit.server";
import {
  kickStatementImports,
  queueStatementImport,
  runPendingImports,
  runStatementImport,
  startStatementImport,
  type ImportProgress,
} from "./import.server";
import { getStatementImport } from "./queries.server";

let app: TestApp;
let finance: Actor & { kind: "user" };

beforeAll(async () => {
  app = await startTestApp();
  finance = actorFor(await makeUser(app.ctx, "finance", { name: "Achieng Finance" }));
});
afterAll(async () => app?.close());

// Each test its own month, so receipts never overlap between tests.
const fileFor = (seed: number, lines = 300) =>
  buildStatementCsv({
    lines: [...generateStatementLines(lines, seed, new Date(Date.UTC(2024, seed, 1)))],
  });

const linesOf = async (importId: string) => {
  const [row] = await app.ctx.db
    .select({ n: count() })
    .from(statementLines)
    .where(eq(statementLines.importId, importId));
  return row.n;
};

it("an upload answers at once with an import id; the job stores and matches it, and the page shows it done", async () => {
  const csv = fileFor(1);
  const started = await startStatementImport(app.ctx, {
    fileName: "january.csv",
    input: Buffer.from(csv),
    actor: finance,
  });
  expect(started).toMatchObject({
    status: "queued",
    message: expect.stringContaining("importing"),
  });
  await kickStatementImports(app.ctx);
  const view = await getStatementImport(app.ctx.db, started.importId);
  expect(view).toMatchObject({
    state: "done",
    lineCount: 300,
    importedBy: "Achieng Finance",
    progress: { state: "done", parsed: 300, stored: 300, matched: 300, lines: 300 },
  });
  expect(view?.summary?.match?.exceptions).toBeGreaterThan(0);
  // The file itself is not kept once it is imported.
  const chunks = await app.ctx.db
    .select({ n: count() })
    .from(statementImportChunks)
    .where(eq(statementImportChunks.importId, started.importId));
  expect(chunks[0].n).toBe(0);
});

it("two uploads of the same file at once import it once", async () => {
  const csv = fileFor(2);
  // Streams, so neither can be answered from the hash before it is read: the unique key decides.
  const upload = () =>
    queueStatementImport(app.ctx, {
      fileName: "february.csv",
      input: Readable.from([csv.slice(0, 5_000), csv.slice(5_000)]),
      actor: finance,
    });
  const [a, b] = await Promise.all([upload(), upload()]);
  expect([a.status, b.status].sort()).toEqual(["already_imported", "queued"]);
  expect(a.importId).toBe(b.importId);
  await kickStatementImports(app.ctx);
  const imports = await app.ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.fileName, "february.csv"));
  expect(imports).toHaveLength(1);
  expect(await linesOf(a.importId)).toBe(300);
});

it("reports lines parsed, stored and matched as it goes", async () => {
  const queued = await queueStatementImport(
    app.ctx,
    { fileName: "march.csv", input: Buffer.from(fileFor(3, 6_000)), actor: finance },
    true,
  );
  const seen: ImportProgress[] = [];
  await runStatementImport(app.ctx, queued.importId, {
    keepFailed: true,
    onProgress: (p) => seen.push(p),
  });
  const storing = seen.filter((p) => p.state === "storing");
  // Progress while parsing, not only at the end.
  expect(storing.some((p) => p.parsed > 0 && p.parsed < 6_000)).toBe(true);
  expect(seen.some((p) => p.state === "matching" && p.matched > 0 && p.matched < 6_000)).toBe(true);
  expect(seen[seen.length - 1]).toEqual({
    state: "done",
    parsed: 6_000,
    stored: 6_000,
    matched: 6_000,
    lines: 6_000,
  });
});

it("an import cut short while storing is rolled back and resumed by the next run", async () => {
  const queued = await queueStatementImport(
    app.ctx,
    { fileName: "april.csv", input: Buffer.from(fileFor(4, 6_000)), actor: finance },
    true,
  );
  // The process "dies" half way through the file.
  await expect(
    runStatementImport(app.ctx, queued.importId, {
      keepFailed: true,
      onProgress: (p) => {
        if (p.state === "storing" && p.parsed >= 5_000) throw new Error("killed");
      },
    }),
  ).rejects.toThrow("killed");
  expect(await linesOf(queued.importId)).toBe(0);
  const [cut] = await app.ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, queued.importId));
  expect(cut.state).not.toBe("done");

  expect(await runPendingImports(app.ctx)).toBe(1);
  expect(await linesOf(queued.importId)).toBe(6_000);
  expect((await getStatementImport(app.ctx.db, queued.importId))?.state).toBe("done");
});

it("an import cut short while matching leaves no line half matched, and the next run finishes it", async () => {
  const queued = await queueStatementImport(
    app.ctx,
    { fileName: "may.csv", input: Buffer.from(fileFor(5, 6_000)), actor: finance },
    true,
  );
  await expect(
    runStatementImport(app.ctx, queued.importId, {
      keepFailed: true,
      onProgress: (p) => {
        if (p.state === "matching" && p.matched > 0) throw new Error("killed");
      },
    }),
  ).rejects.toThrow("killed");
  // Every line is still waiting, and no case was opened for any of them.
  const states = await app.ctx.db
    .select({ state: statementLines.matchState, n: count() })
    .from(statementLines)
    .where(eq(statementLines.importId, queued.importId))
    .groupBy(statementLines.matchState);
  expect(states.map((s) => s.state).sort()).toEqual(["new", "skipped"]);
  const opened = await app.ctx.db
    .select({ n: count() })
    .from(exceptions)
    .innerJoin(statementLines, eq(statementLines.id, exceptions.statementLineId))
    .where(eq(statementLines.importId, queued.importId));
  expect(opened[0].n).toBe(0);

  expect(await runPendingImports(app.ctx)).toBe(1);
  const view = await getStatementImport(app.ctx.db, queued.importId);
  expect(view?.state).toBe("done");
  expect(view?.counts.new).toBe(0);
  expect(view?.summary?.match?.exceptions).toBeGreaterThan(0);
});

it("a file that is not a statement is refused at once; one with a bad row deep inside is marked failed, and may be uploaded again", async () => {
  await expect(
    startStatementImport(app.ctx, {
      fileName: "notes.csv",
      input: Buffer.from("hello,world\n1,2\n"),
      actor: finance,
    }),
  ).rejects.toThrow("Receipt No.");
  const lines = [...generateStatementLines(50, 6, new Date(Date.UTC(2024, 6, 1)))];
  lines[40] = { ...lines[40], overrides: { "Completion Time": "31-02-2025 10:00:00" } };
  const bad = Buffer.from(buildStatementCsv({ lines }));
  const started = await startStatementImport(app.ctx, {
    fileName: "bad.csv",
    input: bad,
    actor: finance,
  });
  await kickStatementImports(app.ctx);
  const view = await getStatementImport(app.ctx.db, started.importId);
  expect(view).toMatchObject({
    state: "failed",
    error: expect.stringContaining("Completion Time"),
  });
  expect(await linesOf(started.importId)).toBe(0);
  const again = await startStatementImport(app.ctx, {
    fileName: "bad.csv",
    input: bad,
    actor: finance,
  });
  expect(again.status).toBe("queued");
  await kickStatementImports(app.ctx);
});

it("an import failing for a reason of ours is tried once per run, and later imports go ahead of it", async () => {
  expectLoggedError(/statement import failed/);
  const stuck = await queueStatementImport(
    app.ctx,
    { fileName: "june.csv", input: Buffer.from(fileFor(6)), actor: finance },
    true,
  );
  const next = await queueStatementImport(
    app.ctx,
    { fileName: "july.csv", input: Buffer.from(fileFor(7)), actor: finance },
    true,
  );
  // The database refuses the first import's lines, as it would if full: every attempt fails the same.
  await app.ctx.db.execute(
    sql.raw(`create or replace function import_test_refuse() returns trigger language plpgsql as $$
      begin if new.import_id = '${stuck.importId}' then raise exception 'disk full (test)'; end if; return new; end $$`),
  );
  await app.ctx.db.execute(
    sql.raw(
      `create trigger import_test_refuse before insert on statement_lines for each row execute function import_test_refuse()`,
    ),
  );
  // Queued as an upload leaves them, for the job to claim.
  await app.ctx.db
    .update(statementImports)
    .set({ claimedBy: null })
    .where(inArray(statementImports.id, [stuck.importId, next.importId]));
  try {
    expect(await runPendingImports(app.ctx)).toBe(2);
  } finally {
    await app.ctx.db.execute(sql.raw(`drop trigger import_test_refuse on statement_lines`));
  }
  expect((await getStatementImport(app.ctx.db, next.importId))?.state).toBe("done");
  const [left] = await app.ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, stuck.importId));
  expect(left.state).not.toBe("done");
  expect(left.error).toMatch(/disk full/);
  // The next run, with the cause gone, finishes it.
  expect(await runPendingImports(app.ctx)).toBe(1);
  expect((await getStatementImport(app.ctx.db, stuck.importId))?.state).toBe("done");
});
