// Two instances and one statement import on PostgreSQL: a run that paused past its lease (a GC or VM
// pause) while another instance took the import over changes nothing when it wakes, whatever step it
// was in, and its failure is not counted against the import; a run that could not renew its lease
// stops; the CLI follows an import a server is running instead of saying "already being imported";
// and a CLI upload that took longer than the lease keeps its claim. Part of the suite only with
// TEST_DATABASE_URL (vitest.config.ts): PGlite's lease is its one process.
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { count, eq, sql } from "drizzle-orm";
import { statementImportChunks, statementImports, statementLines } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { usingPostgres } from "../../../tests/support/db";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { buildStatementCsv, generateStatementLines } from "../../../tests/support/statement-file";
import type { AppContext } from "../../context.server";
import type { Actor } from "../auth/staff-audit.server";
import {
  claimNextImport,
  importStatementFile,
  LeaseLost,
  queueStatementImport,
  runStatementImport,
  startStatementImport,
  type ImportProgress,
  type ImportResult,
} from "./import.server";
import { matchStatementImport } from "./match.server";
import { getStatementImport } from "./queries.server";

let app: TestApp;
let finance: Actor & { kind: "user" };
// Two instances of the app on one database: the one that pauses, and the one that takes over.
let paused: AppContext;
let other: AppContext;

beforeAll(async () => {
  app = await startTestApp();
  finance = actorFor(await makeUser(app.ctx, "finance", { name: "Achieng Finance" }));
  paused = { ...app.ctx, instanceId: "instance-a" };
  other = { ...app.ctx, instanceId: "instance-b" };
});
afterAll(async () => app?.close());

const fileFor = (seed: number, lines = 300) =>
  buildStatementCsv({
    lines: [...generateStatementLines(lines, seed, new Date(Date.UTC(2022, seed, 1)))],
  });

const queue = async (ctx: AppContext, fileName: string, csv: string) => {
  const queued = await queueStatementImport(
    ctx,
    { fileName, input: Buffer.from(csv), actor: finance },
    true,
  );
  if (queued.status !== "queued") throw new Error(`${fileName} was already imported`);
  return queued.importId;
};

const rowOf = async (importId: string) =>
  (await app.ctx.db.select().from(statementImports).where(eq(statementImports.id, importId)))[0];

const countOf = async (table: typeof statementLines | typeof statementImportChunks, id: string) =>
  (await app.ctx.db.select({ n: count() }).from(table).where(eq(table.importId, id)))[0].n;

/** The paused run's lease runs out (75 s without a heartbeat), and the other instance claims it. */
async function takeOver(importId: string) {
  await app.ctx.db
    .update(statementImports)
    .set({ claimedAt: sql`now() - interval '75 seconds'` })
    .where(eq(statementImports.id, importId));
  expect(await claimNextImport(other)).toBe(importId);
}

describe.skipIf(!usingPostgres())("statement import leases (PostgreSQL)", () => {
  it("a run that wakes after another instance imported the file changes nothing: the import stays done, its lines booked", async () => {
    const csv = fileFor(1);
    const importId = await queue(paused, "paused.csv", csv);
    let finished: ImportResult | null = null;
    await expect(
      runStatementImport(paused, importId, {
        keepFailed: true,
        // Frozen right after reading the import (still queued), while the other instance runs it.
        afterClaim: async () => {
          await takeOver(importId);
          finished = await runStatementImport(other, importId, { keepFailed: true });
        },
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    expect(finished!.summary.match?.exceptions).toBeGreaterThan(0);
    const view = await getStatementImport(app.ctx.db, importId);
    expect(view).toMatchObject({ state: "done", error: null, lineCount: 300 });
    expect(view?.summary).toEqual(finished!.summary);
    expect(await countOf(statementLines, importId)).toBe(300);
    expect(await countOf(statementImportChunks, importId)).toBe(0);
    // The file is still known: uploading it again is answered with this import.
    const again = await startStatementImport(app.ctx, {
      fileName: "paused.csv",
      input: Buffer.from(csv),
      actor: finance,
    });
    expect(again).toMatchObject({ status: "already_imported", importId });
    expect((await rowOf(importId)).fileSha256).toBe(createHash("sha256").update(csv).digest("hex"));
  });

  it("a run that wakes in its match after another instance finished it commits nothing", async () => {
    const importId = await queue(paused, "paused-matching.csv", fileFor(2));
    let finished: ImportResult | null = null;
    await expect(
      runStatementImport(paused, importId, {
        keepFailed: true,
        // Its lines stored, frozen before matching; then it matches as the set-based matcher does.
        matcher: async (ctx, id, progress, trace, beforeCommit) => {
          await takeOver(importId);
          finished = await runStatementImport(other, importId, { keepFailed: true });
          return matchStatementImport(ctx, id, progress, trace, beforeCommit);
        },
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    const view = await getStatementImport(app.ctx.db, importId);
    expect(view).toMatchObject({ state: "done", error: null });
    expect(view?.summary).toEqual(finished!.summary);
  });

  it("a failed try of a run whose lease ran out does not free the new owner's claim nor count against the import", async () => {
    const importId = await queue(paused, "paused-failing.csv", fileFor(3));
    await expect(
      runStatementImport(paused, importId, {
        keepFailed: true,
        matcher: async () => {
          await takeOver(importId);
          throw new Error("connection lost mid-match (test)");
        },
      }),
    ).rejects.toBeInstanceOf(LeaseLost);
    expect(await rowOf(importId)).toMatchObject({
      state: "matching",
      claimedBy: "instance-b",
      failedTries: 0,
      error: null,
    });
    // Its claim held, so no third instance can take the import while the new owner runs it.
    expect(await claimNextImport({ ...app.ctx, instanceId: "instance-c" })).toBeNull();
    await runStatementImport(other, importId, { keepFailed: true });
    expect((await getStatementImport(app.ctx.db, importId))?.state).toBe("done");
  });

  it("a run that could not renew its lease for the lease's length stops at its next report, and is not counted as failed", async () => {
    const importId = await queue(paused, "unrenewed.csv", fileFor(4));
    const now = performance.now.bind(performance);
    let clock = null as { mockRestore(): void } | null;
    try {
      await expect(
        runStatementImport(paused, importId, {
          keepFailed: true,
          // 61 s pass (a pause) with no heartbeat sent.
          afterClaim: async () => {
            clock = vi.spyOn(performance, "now").mockImplementation(() => now() + 61_000);
          },
        }),
      ).rejects.toBeInstanceOf(LeaseLost);
    } finally {
      clock?.mockRestore();
    }
    expect(await rowOf(importId)).toMatchObject({ state: "queued", failedTries: 0, error: null });
    expect(await countOf(statementLines, importId)).toBe(0);
    await runStatementImport(paused, importId, { keepFailed: true });
    expect((await getStatementImport(app.ctx.db, importId))?.state).toBe("done");
  });

  describe("the CLI and a server", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "statement-cli-"));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));
    const server = () => ({ ...app.ctx, instanceId: "server-1" });
    const cli = () => ({ ...app.ctx, instanceId: "cli-1" });

    it("the CLI given a file a server is importing follows its progress to the end", async () => {
      const csv = fileFor(5);
      const path = join(dir, "served.csv");
      await writeFile(path, csv);
      const importId = await queue(server(), "served.csv", csv);
      // The server's store waits on another import's (the store lock) until the CLI is following.
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      let locked = () => {};
      const lockHeld = new Promise<void>((resolve) => (locked = resolve));
      const holder = app.ctx.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('statement_lines:store'))`);
        locked();
        await gate;
      });
      await lockHeld;
      const serverRun = runStatementImport(server(), importId, { keepFailed: true });
      const seen: ImportProgress[] = [];
      let result: ImportResult;
      try {
        result = await importStatementFile(cli(), {
          path,
          actor: { kind: "system", label: "cli" },
          follow: { pollMs: 50, timeoutMs: 60_000 },
          onProgress: (p) => {
            seen.push(p);
            release();
          },
        });
      } finally {
        release();
        await holder;
      }
      expect(result.message).toMatch(/being imported .* has finished\. Imported 300 lines/);
      expect(result.summary.match?.exceptions).toBeGreaterThan(0);
      expect(seen[0].state).toMatch(/^(queued|storing)$/);
      expect((await serverRun)?.summary).toEqual(result.summary);
    });

    it("the CLI stops waiting for an import that never finishes, saying where it goes on", async () => {
      const csv = fileFor(6);
      const path = join(dir, "stuck.csv");
      await writeFile(path, csv);
      const importId = await queue(server(), "stuck.csv", csv);
      await app.ctx.db
        .update(statementImports)
        .set({ state: "storing", linesParsed: 120 })
        .where(eq(statementImports.id, importId));
      await expect(
        importStatementFile(cli(), {
          path,
          actor: { kind: "system", label: "cli" },
          follow: { pollMs: 20, timeoutMs: 100 },
        }),
      ).rejects.toThrow(/another process is still importing this file .*storing/);
      await app.ctx.db.delete(statementImports).where(eq(statementImports.id, importId));
    });

    it("an upload the CLI took longer than the lease over stays the CLI's to run", async () => {
      const csv = fileFor(7);
      const fileName = "slow-upload.csv";
      async function* slowly() {
        yield csv.slice(0, 10_000);
        // The upload has taken two minutes so far.
        await app.ctx.db
          .update(statementImports)
          .set({ claimedAt: sql`now() - interval '2 minutes'` })
          .where(eq(statementImports.fileName, fileName));
        yield csv.slice(10_000);
      }
      const queued = await queueStatementImport(
        cli(),
        { fileName, input: Readable.from(slowly()), actor: finance },
        true,
      );
      expect(queued.status).toBe("queued");
      // A server looking for work does not take it from under the CLI.
      expect(await claimNextImport(server())).toBeNull();
      const result = await runStatementImport(cli(), queued.importId, { keepFailed: false });
      expect(result?.summary.lines).toBe(300);
    });
  });
});
