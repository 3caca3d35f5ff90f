// Staff notes: on the timeline with the author's name, in the staff audit, refused when empty.
import { and, eq } from "drizzle-orm";
import { staffAudit } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import { initiatePayment } from "./initiate.server";
import { addPaymentNote } from "./notes.server";
import { getPaymentView } from "./queries.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

describe("addPaymentNote", () => {
  it("adds the note to the timeline under the author's name and records it in the staff audit", async () => {
    const author = actorFor(await makeUser(app.ctx, "support", { name: "Wanjiru Support" }));
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 60, phone: PHONES.handset },
      author,
    );
    await addPaymentNote(app.ctx.db, author, payment.id, {
      note: "  Customer says the prompt never arrived.  ",
    });

    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view.timeline.at(-1)).toMatchObject({
      type: "note",
      actor: "Wanjiru Support",
      actorType: "user",
      summary: "Customer says the prompt never arrived.",
    });
    const audit = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(and(eq(staffAudit.entityId, payment.id), eq(staffAudit.action, "payment.note")));
    expect(audit).toEqual([
      expect.objectContaining({
        actorLabel: "Wanjiru Support",
        entityType: "payment",
        note: "Customer says the prompt never arrived.",
      }),
    ]);
  });

  it("refuses an empty note, and a payment that does not exist, without writing anything", async () => {
    const author = actorFor(await makeUser(app.ctx, "finance"));
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 61, phone: PHONES.handset },
      author,
    );
    await expect(
      addPaymentNote(app.ctx.db, author, payment.id, { note: "   " }),
    ).rejects.toMatchObject({ status: 400, field: "note", message: "Write the note first." });
    await expect(
      addPaymentNote(app.ctx.db, author, "00000000-0000-4000-8000-000000000000", { note: "hello" }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      addPaymentNote(app.ctx.db, author, "not-a-uuid", { note: "hello" }),
    ).rejects.toMatchObject({ status: 404 });
    expect(
      (await getPaymentView(app.ctx.db, payment.id))!.timeline.some((e) => e.type === "note"),
    ).toBe(false);
  });
});
