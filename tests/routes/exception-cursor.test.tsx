// A mangled exception-queue cursor (an impossible date inside a well-formed one) is the client's
// mistake: the queue page and GET /api/exceptions answer 400 naming `cursor`, never a 500.
import { randomUUID } from "node:crypto";
import { encodeCursor } from "../../app/lib/cursor";
import { openException } from "../../app/modules/ledger/cases.server";
import * as api from "../../app/routes/api.exceptions";
import * as queue from "../../app/routes/_console.exceptions._index";
import { startTestApp, type TestApp } from "../support/app";
import { makeApiKey, signedIn } from "../support/factories";
import { renderPage } from "../support/render-route";
import { call, get, jsonOf } from "../support/routes";

let app: TestApp;
let finance: Awaited<ReturnType<typeof signedIn>>;
let key: string;

beforeAll(async () => {
  app = await startTestApp();
  finance = await signedIn(app.ctx, "finance");
  key = (await makeApiKey(app.ctx, "finance")).key;
  const system = { kind: "system", label: "test" } as const;
  for (let i = 0; i < 3; i++)
    await openException(app.ctx.db, system, {
      type: "orphan_callback",
      dedupeKey: `cursor-${i}`,
      summary: `cursor case ${i}`,
    });
});
afterAll(async () => app?.close());

const id = randomUUID();
// Shaped like the cursors the queue hands out, with a day that does not exist.
const IMPOSSIBLE = ["2025-02-30T00:00:00.000000Z", "2025-13-45T00:00:00.000000Z"];

describe("the exception queue page", () => {
  it.each(IMPOSSIBLE)("answers a cursor on %s with 400 and says so on the page", async (at) => {
    const cursor = encodeCursor([`1|${at}`, id]);
    const response = await call(
      queue.loader,
      app.ctx,
      get(`/exceptions?cursor=${cursor}`, finance),
    );
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({
      field: "cursor",
      message: expect.stringMatching(/^The cursor is not valid/),
    });
    const page = await renderPage(
      app.ctx,
      get(`/exceptions?cursor=${cursor}`, finance),
      "exceptions",
      queue,
    );
    expect(page.status).toBe(400);
    expect(page.html).toContain("The cursor is not valid");
  });
});

describe("GET /api/exceptions", () => {
  const list = (query: string) =>
    call(api.loader, app.ctx, get(`/api/exceptions?${query}`, { bearer: key }));

  it.each(["oldest", "newest"])(
    "answers sort=%s with an impossible cursor date with 400 naming cursor",
    async (sort) => {
      for (const at of IMPOSSIBLE) {
        const response = await list(`sort=${sort}&cursor=${encodeCursor([at, id])}`);
        expect(response.status, at).toBe(400);
        expect((await jsonOf(response)).error, at).toMatchObject({
          field: "cursor",
          message: expect.stringMatching(/^The cursor is not valid/),
        });
      }
    },
  );

  it("answers sort=urgent with an impossible cursor date with 400 naming cursor", async () => {
    const response = await list(`sort=urgent&cursor=${encodeCursor([`2|${IMPOSSIBLE[0]}`, id])}`);
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({ field: "cursor" });
  });

  it.each(["oldest", "newest", "urgent"])(
    "still pages with its own cursors (sort=%s)",
    async (sort) => {
      const seen: string[] = [];
      let cursor = "";
      do {
        const response = await list(
          `sort=${sort}&status=all&limit=1${cursor && `&cursor=${cursor}`}`,
        );
        expect(response.status).toBe(200);
        const body = await jsonOf(response);
        seen.push(...body.exceptions.map((x: { summary: string }) => x.summary));
        cursor = body.nextCursor ?? "";
      } while (cursor);
      expect(seen.filter((s) => s.startsWith("cursor case")).sort()).toEqual([
        "cursor case 0",
        "cursor case 1",
        "cursor case 2",
      ]);
      expect(new Set(seen).size).toBe(seen.length);
    },
  );
});
