// A CSV export whose filters match nothing is still a CSV: the header line, so the file opens in a
// spreadsheet with its columns instead of downloading as 0 bytes.
import * as callbacksExport from "../../app/routes/_console.callbacks.export[.csv]";
import * as paymentsExport from "../../app/routes/_console.payments.export[.csv]";
import { startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { call, get } from "../support/routes";

let app: TestApp;
let finance: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  app = await startTestApp();
  finance = await signedIn(app.ctx, "finance");
});
afterAll(async () => app?.close());

it("downloads the payments export of a date range with no payments as its header line", async () => {
  const response = await call(
    paymentsExport.loader,
    app.ctx,
    get("/payments/export.csv?from=2001-01-01&to=2001-01-31", finance),
  );
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
  expect(await response.text()).toBe(
    "payment_id,created_at_eat,order_ref,amount_kes,phone,status,status_reason,receipt,paid_at_eat\n",
  );
});

it("downloads the callback log export of an empty window as its header line", async () => {
  const response = await call(
    callbacksExport.loader,
    app.ctx,
    get("/callbacks/export.csv?from=2001-01-01&to=2001-01-02", finance),
  );
  expect(response.status).toBe(200);
  expect(await response.text()).toBe(
    "callback_id,received_at_eat,kind,outcome,outcome_detail,checkout_request_id,receipt,payment_id,source_ip,source_trusted,token_valid,size_bytes,body\n",
  );
});
