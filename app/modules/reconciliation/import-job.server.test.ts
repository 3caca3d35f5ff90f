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
  MAX_STORE_TRIES,
  queueStatementImport,
  runPendingImports,
  runStatementImport,
  startStatementImport,
  UPLOAD_CUT_OFF_AFTER_MINUTES,
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

/** The database refuses this import's lines, as it would if full (a trigger raising 53100, disk_full); acceptLinesAgain undoes it. */
async function refuseLinesOf(importId: string) {
  await app.ctx.db.execute(
    sql.raw(`create or replace function import_test_refuse() returns trigger language plpgsql as $$
      begin if new.import_id = '${importId}' then raise exception 'could not extend file (test)' using errcode = '53100'; end if; return new; end $$`),
  );
  await app.ctx.db.execute(
    sql.raw(
      `create trigger import_test_refuse before insert on statement_lines for each row execute function import_test_refuse()`,
    ),
  );
}
const acceptLinesAgain = () =>
  app.ctx.db.execute(sql.raw(`drop trigger import_test_refuse on statement_lines`));

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
  await refuseLinesOf(stuck.importId);
  // Queued as an upload leaves them, for the job to claim.
  await app.ctx.db
    .update(statementImports)
    .set({ claimedBy: null })
    .where(inArray(statementImports.id, [stuck.importId, next.importId]));
  try {
    expect(await runPendingImports(app.ctx)).toBe(2);
  } finally {
    await acceptLinesAgain();
  }
  expect((await getStatementImport(app.ctx.db, next.importId))?.state).toBe("done");
  const [left] = await app.ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, stuck.importId));
  expect(left.state).not.toBe("done");
  // In finance's words, not the database's.
  expect(left.error).toBe("the database is out of disk space");
  // The next run, with the cause gone, finishes it.
  expect(await runPendingImports(app.ctx)).toBe(1);
  expect((await getStatementImport(app.ctx.db, stuck.importId))?.state).toBe("done");
});

it("an import that keeps failing before its lines are stored is given up after MAX_STORE_TRIES runs, and may be uploaded again", async () => {
  expectLoggedError(/statement import failed/);
  const file = Buffer.from(fileFor(8));
  const stuck = await queueStatementImport(
    app.ctx,
    { fileName: "august.csv", input: file, actor: finance },
    true,
  );
  await app.ctx.db
    .update(statementImports)
    .set({ claimedBy: null })
    .where(eq(statementImports.id, stuck.importId));
  await refuseLinesOf(stuck.importId);
  const row = async () =>
    (
      await app.ctx.db
        .select()
        .from(statementImports)
        .where(eq(statementImports.id, stuck.importId))
    )[0];
  try {
    for (let run = 1; run < MAX_STORE_TRIES; run++) {
      expect(await runPendingImports(app.ctx)).toBe(1);
      // (PostgreSQL shows it storing; PGlite keeps that in the process, and the row says queued.)
      expect(await row()).toMatchObject({
        state: expect.stringMatching(/^(queued|storing)$/),
        failedTries: run,
      });
      // While it is tried again, its page says why the last run stopped.
      expect((await getStatementImport(app.ctx.db, stuck.importId))?.error).toBe(
        "the database is out of disk space",
      );
    }
    expect(await runPendingImports(app.ctx)).toBe(1);
  } finally {
    await acceptLinesAgain();
  }
  const given = await row();
  expect(given.state).toBe("failed");
  expect(given.error).toMatch(
    new RegExp(
      `failed ${MAX_STORE_TRIES} times while its lines were being stored.*"the database is out of disk space"`,
    ),
  );
  expect(await linesOf(stuck.importId)).toBe(0);
  const [chunks] = await app.ctx.db
    .select({ n: count() })
    .from(statementImportChunks)
    .where(eq(statementImportChunks.importId, stuck.importId));
  expect(chunks.n).toBe(0);
  // Nothing more is run for it, and the same file may be uploaded again.
  expect(await runPendingImports(app.ctx)).toBe(0);
  const again = await queueStatementImport(
    app.ctx,
    { fileName: "august.csv", input: file, actor: finance },
    true,
  );
  expect(again.status).toBe("queued");
  await runStatementImport(app.ctx, again.importId, { keepFailed: true });
  expect(await linesOf(again.importId)).toBe(300);
});

it("an import whose lines are stored is not given up however often matching fails: its lines are booked", async () => {
  const queued = await queueStatementImport(
    app.ctx,
    { fileName: "september.csv", input: Buffer.from(fileFor(9)), actor: finance },
    true,
  );
  for (let run = 0; run < MAX_STORE_TRIES + 1; run++)
    await expect(
      runStatementImport(app.ctx, queued.importId, {
        keepFailed: true,
        matcher: async () => {
          throw new Error("matching broke (test)");
        },
      }),
    ).rejects.toThrow("matching broke");
  const [left] = await app.ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, queued.importId));
  expect(left).toMatchObject({ state: "matching", failedTries: MAX_STORE_TRIES + 1 });
  expect(await linesOf(queued.importId)).toBe(300);
  await runStatementImport(app.ctx, queued.importId, { keepFailed: true });
  expect((await getStatementImport(app.ctx.db, queued.importId))?.state).toBe("done");
});

it("an upload a restart cut off is failed after UPLOAD_CUT_OFF_AFTER_MINUTES, its chunks freed", async () => {
  const [cut] = await app.ctx.db
    .insert(statementImports)
    .values({
      fileSha256: `pending:${crypto.randomUUID()}`,
      fileName: "october.csv",
      layout: "unknown",
      state: "uploading",
      importedAt: new Date(Date.now() - (UPLOAD_CUT_OFF_AFTER_MINUTES + 1) * 60_000),
    })
    .returning();
  const [young] = await app.ctx.db
    .insert(statementImports)
    .values({
      fileSha256: `pending:${crypto.randomUUID()}`,
      fileName: "november.csv",
      layout: "unknown",
      state: "uploading",
      importedAt: new Date(),
    })
    .returning();
  await app.ctx.db.insert(statementImportChunks).values([
    { importId: cut.id, seq: 0, data: Buffer.from("Receipt No.,") },
    { importId: young.id, seq: 0, data: Buffer.from("Receipt No.,") },
  ]);
  await runPendingImports(app.ctx);
  expect(await getStatementImport(app.ctx.db, cut.id)).toMatchObject({
    state: "failed",
    error: expect.stringMatching(/upload was cut off.*upload it again/),
  });
  expect((await getStatementImport(app.ctx.db, young.id))?.state).toBe("uploading");
  const chunks = await app.ctx.db
    .select({ importId: statementImportChunks.importId })
    .from(statementImportChunks)
    .where(inArray(statementImportChunks.importId, [cut.id, young.id]));
  expect(chunks.map((c) => c.importId)).toEqual([young.id]);
  await app.ctx.db.delete(statementImports).where(eq(statementImports.id, young.id));
});
