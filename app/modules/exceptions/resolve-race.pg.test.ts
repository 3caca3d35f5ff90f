// Two finance users acting on one exception at once: only a multi-connection PostgreSQL can race them.
import { and, eq } from "drizzle-orm";
import { paymentEvents, staffAudit } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { FAST_FLOWS, flows } from "../../../tests/support/exception-flows";
import { actorFor, makeUser } from "../../../tests/support/factories";
import type { StaffActor } from "./case.server";
import { parseResolveInput } from "./resolve-input";
import { resolveException } from "./resolve.server";

let app: TestApp;
let finance: StaffActor;
let f: ReturnType<typeof flows>;

beforeAll(async () => {
  app = await startTestApp(FAST_FLOWS);
  finance = actorFor(await makeUser(app.ctx, "finance"));
  f = flows(app, actorFor(await makeUser(app.ctx, "support")));
});
afterAll(async () => app?.close());

// As the route does: the form's fields parsed first, then the domain with typed input.
const act = async (actor: StaffActor, id: string, input: Record<string, string>) =>
  resolveException(app.ctx, actor, id, parseResolveInput(input));
const auditOf = (id: string) =>
  app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.entityType, "exception"), eq(staffAudit.entityId, id)));
const eventsOf = (paymentId: string, type: string) =>
  app.ctx.db
    .select()
    .from(paymentEvents)
    .where(and(eq(paymentEvents.paymentId, paymentId), eq(paymentEvents.type, type)));

describe("two finance users acting at once (PostgreSQL)", () => {
  it("lets exactly one resolve; the other is told it is already resolved", async () => {
    const { payment, exception } = await f.lateSuccess(170);
    const other = actorFor(await makeUser(app.ctx, "finance"));
    const results = await Promise.allSettled([
      act(finance, exception.id, { intent: "accept_paid", note: "first" }),
      act(other, exception.id, { intent: "write_off", note: "second" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({
      reason: { code: "already_resolved", status: 409 },
    });
    expect(await auditOf(exception.id)).toHaveLength(1);
    expect(await eventsOf(payment.id, "exception_resolved")).toHaveLength(1);
  });
});
