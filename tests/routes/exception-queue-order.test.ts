// The queue puts paid payments missing from the statement (possible forged callbacks) above everything.
import { openException } from "../../app/modules/ledger/cases.server";
import { revokeApiKey } from "../../app/modules/auth/api-keys.server";
import { listExceptions } from "../../app/modules/exceptions/queries.server";
import * as queue from "../../app/routes/_console.exceptions._index";
import { startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { call, get, jsonOf } from "../support/routes";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it("lists open missing_from_statement cases first, even when older cases fill the page", async () => {
  const system = { kind: "system", label: "test" } as const;
  for (let i = 0; i < 3; i++)
    await openException(app.ctx.db, system, {
      type: "orphan_callback",
      dedupeKey: `old-${i}`,
      summary: `old orphan ${i}`,
    });
  await openException(app.ctx.db, system, {
    type: "missing_from_statement",
    dedupeKey: "forged-1",
    summary: "Paid TKL1FORGED not on the statement",
    amountAtStakeKes: 9000,
  });
  const finance = await signedIn(app.ctx, "finance");
  const data = await jsonOf(
    await call(queue.loader, app.ctx, get("/exceptions", { cookie: finance.cookie })),
  );
  expect(data.first.map((x: { summary: string }) => x.summary)).toEqual([
    "Paid TKL1FORGED not on the statement",
  ]);
  const filtered = await jsonOf(
    await call(
      queue.loader,
      app.ctx,
      get("/exceptions?type=orphan_callback", { cookie: finance.cookie }),
    ),
  );
  expect(filtered.first).toEqual([]);
});

it("answers an API key id that is not an id with not found, not a crash", async () => {
  const admin = await signedIn(app.ctx, "admin");
  await expect(revokeApiKey(app.ctx.db, "nope", admin.actor)).rejects.toMatchObject({
    status: 404,
  });
});

it("orders the queue by urgency: late successes, then money at stake, then age; pages keep the order", async () => {
  const system = { kind: "system", label: "test" } as const;
  const open = (
    type: "orphan_callback" | "amount_mismatch" | "late_success",
    tag: string,
    kes = 0,
  ) =>
    openException(app.ctx.db, system, {
      type,
      dedupeKey: `urgency-${tag}`,
      summary: `urgency ${tag}`,
      amountAtStakeKes: kes,
    });
  await open("orphan_callback", "no-money");
  await open("amount_mismatch", "money", 499);
  await open("late_success", "late", 150);
  const finance = await signedIn(app.ctx, "finance");
  const page = await jsonOf(
    await call(queue.loader, app.ctx, get("/exceptions", { cookie: finance.cookie })),
  );
  const ours = (xs: { summary: string }[]) =>
    xs.map((x) => x.summary).filter((s) => s.startsWith("urgency"));
  expect(ours(page.rows)).toEqual(["urgency late", "urgency money", "urgency no-money"]);
  // One row a page: the cursor carries the rank, so no case is repeated or skipped.
  const paged: { summary: string }[] = [];
  let cursor: string | undefined;
  do {
    const next = await listExceptions(app.ctx.db, { sort: "urgent", limit: 1, cursor });
    paged.push(...next.exceptions);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  expect(paged.map((x) => x.summary)).toEqual(page.rows.map((x: { summary: string }) => x.summary));
  expect(ours(paged)).toEqual(["urgency late", "urgency money", "urgency no-money"]);
});
