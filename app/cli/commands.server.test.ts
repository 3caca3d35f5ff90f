// The operators' commands: `statement:import FILE` (a repeat says so at once), `c2b:register`
// (prints the URLs; registers them with the simulator on --apply) and `reconcile:once`.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vi } from "vitest";
import { CALLBACK_TOKEN, startTestApp, type TestApp } from "../../tests/support/app";
import { insertDueAttempts } from "../../tests/support/due-attempts";
import { buildStatementCsv, fixtureReceipt } from "../../tests/support/statement-file";
import { listPollerRuns } from "../modules/payments/poller.server";
import { cliCommands } from "./commands.server";

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp();
  dir = await mkdtemp(join(tmpdir(), "statement-cli-"));
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(name: string, args: string[]): Promise<string> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await cliCommands[name].run(app.ctx, args);
  } finally {
    spy.mockRestore();
  }
  return written.join("");
}

it("statement:import imports a file, and a second run says it was already imported", async () => {
  const at = new Date("2025-03-14T07:15:39Z");
  const file = join(dir, "march.csv");
  await writeFile(
    file,
    buildStatementCsv({
      lines: [
        { receipt: fixtureReceipt(at, 1), completedAt: at, amountKes: 1250, accountNo: "INV-1" },
      ],
      from: at,
      to: at,
    }),
  );
  // Progress first (the state it started in, then one line a second, then the finished counts).
  expect(await run("statement:import", [file])).toMatch(
    /(?:^|\n)done: 1 lines parsed, 1 stored, 1 of 1 matched\nImported 1 lines from "march.csv": 1 new, 0 matched, 0 proposed for confirmation, 1 exceptions\.\nImport [0-9a-f-]{36}\nExceptions opened: statement_only 1\n$/,
  );
  expect(await run("statement:import", [file])).toMatch(
    /already imported on .* by cli \(as "march.csv"\); nothing was changed/,
  );
  await expect(run("statement:import", [join(dir, "nope.csv")])).rejects.toThrow(/No such file/);
});

it("c2b:register prints the URLs, and registers them with --apply", async () => {
  const printed = await run("c2b:register", []);
  expect(printed).toContain(
    `Confirmation URL: ${app.appUrl}/hooks/daraja/c2b/confirmation/${CALLBACK_TOKEN}`,
  );
  expect(printed).toContain("Not registered.");
  expect((await app.control("state")).c2bRegistrations).toEqual([]);

  expect(await run("c2b:register", ["--apply"])).toMatch(
    /Registered with Daraja \(ResponseType Completed\)/,
  );
  expect((await app.control("state")).c2bRegistrations).toEqual([
    expect.objectContaining({
      validationUrl: `${app.appUrl}/hooks/daraja/c2b/validation/${CALLBACK_TOKEN}`,
    }),
  ]);
});

it("reconcile:once runs one sweep now and prints what it did", async () => {
  const { checkoutRequestIds } = await app.control("transactions", {
    count: 2,
    outcome: "lost_callback",
  });
  const now = new Date();
  await insertDueAttempts(app.ctx.db, checkoutRequestIds, { createdAt: now, nextPollAt: now });
  expect(await run("reconcile:once", [])).toMatch(
    /Sweep ok \(run #\d+, [\d.]+ s\): 2 due, 2 queried, 2 changed, 0 given up, 0 errors/,
  );
  expect((await listPollerRuns(app.ctx.db, 1))[0]).toMatchObject({ trigger: "cli", queried: 2 });
});
