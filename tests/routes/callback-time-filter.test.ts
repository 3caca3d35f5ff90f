// The callback log's "To (EAT)" is inclusive, as a person reads it: "to 10:15" keeps what arrived
// during 10:15, and a date alone keeps that whole day, on the page and in the CSV of the same filters.
import { rawCallbacks } from "../../db/schema";
import * as logRoute from "../../app/routes/_console.callbacks._index";
import * as exportRoute from "../../app/routes/_console.callbacks.export[.csv]";
import { startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { call, get, jsonOf } from "../support/routes";

let app: TestApp;
let finance: Awaited<ReturnType<typeof signedIn>>;

// Callbacks received on 1 June 2021 (EAT = UTC+3), far from anything else the app stores.
const RECEIVED = {
  "10:15:00": "2021-06-01T07:15:00.000Z",
  "10:15:40": "2021-06-01T07:15:40.000Z",
  "10:15:59.999": "2021-06-01T07:15:59.999Z",
  "10:16:00": "2021-06-01T07:16:00.000Z",
  "23:59:59.500": "2021-06-01T20:59:59.500Z",
  "next day 00:00": "2021-06-01T21:00:00.000Z",
} as const;
type Label = keyof typeof RECEIVED;

beforeAll(async () => {
  app = await startTestApp();
  finance = await signedIn(app.ctx, "finance");
  for (const [label, at] of Object.entries(RECEIVED)) {
    const body = Buffer.from(`time-filter ${label}`);
    await app.ctx.db.insert(rawCallbacks).values({
      kind: "stk",
      receivedAt: new Date(at),
      headers: {},
      body,
      sizeBytes: body.length,
      tokenValid: true,
      outcome: "orphan",
    });
  }
});
afterAll(async () => app?.close());

const shown = async (query: string): Promise<Label[]> => {
  const response = await call(logRoute.loader, app.ctx, get(`/callbacks?${query}`, finance));
  expect(response.status).toBe(200);
  const rows: { preview: string }[] = (await jsonOf(response)).rows;
  return rows.map((r) => r.preview.replace("time-filter ", "") as Label);
};
const exported = async (query: string): Promise<Label[]> => {
  const response = await call(
    exportRoute.loader,
    app.ctx,
    get(`/callbacks/export.csv?${query}`, finance),
  );
  expect(response.status).toBe(200);
  const text = await response.text();
  return [...text.matchAll(/time-filter ([^\n,]+)/g)].map((m) => m[1] as Label);
};

describe("the callback log's To (EAT)", () => {
  it("keeps the whole last minute of a date and time", async () => {
    const query = "from=2021-06-01T10:15&to=2021-06-01T10:15";
    const expected: Label[] = ["10:15:59.999", "10:15:40", "10:15:00"];
    expect(await shown(query)).toEqual(expected);
    expect(await exported(query)).toEqual(expected);
  });

  it("keeps the whole day of a date alone, and not the next day's midnight", async () => {
    const query = "from=2021-06-01&to=2021-06-01";
    const expected: Label[] = ["23:59:59.500", "10:16:00", "10:15:59.999", "10:15:40", "10:15:00"];
    expect(await shown(query)).toEqual(expected);
    expect(await exported(query)).toEqual(expected);
  });

  it("keeps the To date's whole day with no From", async () => {
    const rows = await shown("to=2021-06-01");
    expect(rows).toContain("23:59:59.500");
    expect(rows).not.toContain("next day 00:00");
  });
});
