// Without JavaScript a form posts as the page and the server renders the answer: when it refuses,
// the page must come back with what was typed and the problem said next to its field. Rendered the
// way Remix renders a POST (action, then loaders, then the components with the action's data).
import { randomBytes } from "node:crypto";
import { SYSTEM_ACTOR } from "../../app/modules/auth/staff-audit.server";
import { openException } from "../../app/modules/ledger/cases.server";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { getPaymentView } from "../../app/modules/payments/queries.server";
import * as bulkRoute from "../../app/routes/_console.exceptions.bulk";
import * as caseRoute from "../../app/routes/_console.exceptions.$exceptionId";
import * as paymentRoute from "../../app/routes/_console.payments.$paymentId";
import * as tariffs from "../../app/routes/_console.tariffs";
import { startTestApp, waitFor, type TestApp } from "../support/app";
import { orderRef, PHONES, signedIn } from "../support/factories";
import { renderPage } from "../support/render-route";
import { call, get, jsonOf, postForm } from "../support/routes";

type Session = Awaited<ReturnType<typeof signedIn>>;
let app: TestApp;
let admin: Session;
let finance: Session;
let support: Session;

beforeAll(async () => {
  app = await startTestApp();
  admin = await signedIn(app.ctx, "admin");
  finance = await signedIn(app.ctx, "finance");
  support = await signedIn(app.ctx, "support");
});
afterAll(async () => app?.close());

/** The page after a plain form POST, as a browser without JavaScript shows it. */
async function submitted(
  path: string,
  pattern: string,
  route: Parameters<typeof renderPage>[3],
  who: Session,
  fields: Record<string, string>,
) {
  const page = await renderPage(
    app.ctx,
    postForm(path, fields, { cookie: who.cookie, csrf: who.csrf }),
    pattern,
    route,
  );
  return { status: page.status, html: page.html.replace(/<!-- -->/g, "") };
}

/** The HTML of the form labelled `label` (its aria-label), or of the form holding `marker`. */
function formWith(html: string, marker: string): string {
  const forms = html.split("<form").map((f) => f.slice(0, f.indexOf("</form>")));
  const found = forms.find((f) => f.includes(marker));
  if (!found) throw new Error(`no form with ${marker}`);
  return found;
}

describe("the tariffs form", () => {
  it("keeps the typed name and bands and says the band problem next to the bands", async () => {
    const bands = "1, 100, 0\n200, 300, 5";
    const { status, html } = await submitted("/tariffs", "tariffs", tariffs, admin, {
      intent: "add",
      effectiveFrom: "2031-01-01T00:00",
      label: "Contract with a gap",
      paybill: bands,
      buy_goods: "1, 50, 1",
    });
    expect(status).toBe(400);
    const form = formWith(html, 'aria-label="Add a tariff version"');
    expect(form).toContain('value="2031-01-01T00:00"');
    expect(form).toContain('value="Contract with a gap"');
    expect(form).toMatch(
      /<textarea name="paybill"[^>]*>1, 100, 0\n200, 300, 5<\/textarea><span class="field-error"[^>]*>[^<]*Gap/,
    );
    expect(form).toMatch(/<textarea name="buy_goods"[^>]*>1, 50, 1<\/textarea>/);
  });

  it("says a bad effective time next to it, keeping the rest", async () => {
    const { html } = await submitted("/tariffs", "tariffs", tariffs, admin, {
      intent: "add",
      effectiveFrom: "2031-02-30T00:00",
      label: "Contract C",
      paybill: "1, 100, 0",
      buy_goods: "",
    });
    const form = formWith(html, 'aria-label="Add a tariff version"');
    expect(form).toMatch(
      /name="effectiveFrom"[^>]*value="2031-02-30T00:00"[^>]*\/><span class="field-error"[^>]*>That effective date does not exist/,
    );
    expect(form).toMatch(/<textarea name="paybill"[^>]*>1, 100, 0<\/textarea>/);
  });
});

describe("the re-send prompt form", () => {
  let paymentId: string;
  beforeAll(async () => {
    const p = await initiatePayment(
      app.ctx,
      { orderRef: orderRef("NOJS"), amount: 100, phone: PHONES.cancels },
      support.actor,
    );
    paymentId = p.id;
    await waitFor(
      async () => ((await getPaymentView(app.ctx.db, p.id))?.status === "cancelled" ? true : null),
      10_000,
      "the payment to be cancelled",
    );
  });
  const resend = (fields: Record<string, string>) =>
    submitted(`/payments/${paymentId}`, "payments/:paymentId", paymentRoute, support, {
      intent: "resend",
      ...fields,
    });

  it("keeps the reason and says a bad corrected phone next to it", async () => {
    const { status, html } = await resend({ phone: "0612 345", reason: "customer gave a typo" });
    expect(status).toBe(400);
    const form = formWith(html, 'aria-label="Re-send STK prompt"');
    expect(form).toMatch(/name="phone"[^>]*value="0612 345"[^>]*\/><span class="field-error"/);
    expect(form).toContain(">customer gave a typo</textarea>");
  });

  it("keeps the corrected phone and says a missing reason next to it", async () => {
    const { html } = await resend({ phone: "0708 000 001", reason: "" });
    const form = formWith(html, 'aria-label="Re-send STK prompt"');
    expect(form).toContain('value="0708 000 001"');
    expect(form).toMatch(
      /name="reason"[^>]*><\/textarea><span class="field-error"[^>]*>Say why the prompt is being re-sent\./,
    );
  });

  it("answers the same refusal to a script with the typed values", async () => {
    const response = await call(
      paymentRoute.action,
      app.ctx,
      postForm(
        `/payments/${paymentId}`,
        { intent: "resend", phone: "0612 345", reason: "typo" },
        support,
      ),
      { paymentId },
    );
    expect(response.status).toBe(400);
    expect(await jsonOf(response)).toMatchObject({
      ok: false,
      error: { field: "phone" },
      values: { intent: "resend", phone: "0612 345", reason: "typo" },
    });
  });
});

async function openCase(type: "orphan_callback" | "statement_only"): Promise<string> {
  const tag = randomBytes(4).toString("hex");
  return (await openException(app.ctx.db, SYSTEM_ACTOR, {
    type,
    dedupeKey: `no-js:${tag}`,
    summary: `${type} ${tag}`,
    amountAtStakeKes: 700,
  }))!;
}

describe("an exception's action forms", () => {
  it("keep the note and the payment reference in the pressed form, with the problem next to the note", async () => {
    const id = await openCase("orphan_callback");
    const { status, html } = await submitted(
      `/exceptions/${id}`,
      "exceptions/:exceptionId",
      caseRoute,
      finance,
      { intent: "link_to_payment", paymentRef: "INV-2044", note: "x" },
    );
    expect(status).toBe(400);
    const pressed = formWith(html, 'data-action="link_to_payment"');
    expect(pressed).toContain('value="INV-2044"');
    expect(pressed).toMatch(/>x<\/textarea><span class="field-error"[^>]*>Write a note saying why/);
    // The other form is left as it was.
    expect(formWith(html, 'data-action="not_ours"')).not.toContain(">x</textarea>");
  });
});

describe("the bulk action form", () => {
  it("keeps the chosen action and the note, with the problem next to the note", async () => {
    const id = await openCase("statement_only");
    const path = `/exceptions/bulk?scope=checked&id=${id}`;
    const preview = await jsonOf(await call(bulkRoute.loader, app.ctx, get(path, finance)));
    const { status, html } = await submitted(path, "exceptions/bulk", bulkRoute, finance, {
      action: "write_off",
      note: "ok",
      cases: id,
      fingerprint: preview.preview.fingerprint,
    });
    expect(status).toBe(400);
    const form = formWith(html, 'aria-label="Apply to every case above"');
    expect(form).toMatch(
      /<input type="radio" name="action"[^>]*checked=""[^>]*value="write_off"\/>/,
    );
    expect(form).toMatch(/>ok<\/textarea><span class="field-error"[^>]*>Write a note saying why/);
  });
});
