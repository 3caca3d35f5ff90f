// Three weeks of demo activity for simulator mode, made by the real domain functions so every row is
// one production could have written: payments requested, Daraja's callbacks stored and applied
// (paid, cancelled, wrong PIN, unreachable, late success, wrong amount, an orphan), cases opened by
// the intake and some resolved by finance, a statement imported and its clean days signed off.
// Only Daraja's STK Push answer is played here (at HTTP, like the tests' fakes): a push "accepted"
// at a past time whose callback we then deliver ourselves, instead of a live prompt.
import { eq, gte } from "drizzle-orm";
import type { AppContext } from "../app/context.server";
import { addDays, eatDay, startOfEatDay } from "../app/lib/time";
import type { Actor } from "../app/modules/auth/staff-audit.server";
import { processStkCallback, recordCallback } from "../app/modules/callbacks/intake.server";
import { createDarajaClient } from "../app/modules/daraja/client.server";
import { resolveException } from "../app/modules/exceptions/resolve.server";
import { initiatePayment } from "../app/modules/payments/initiate.server";
import { getDayStatuses, signOffDay } from "../app/modules/reconciliation/days.server";
import { importStatement } from "../app/modules/reconciliation/import.server";
import {
  buildStatementCsv,
  type StatementCsvLine,
} from "../app/modules/reconciliation/statement-csv";
import { exceptions, type PaymentException } from "./schema";

type UserActor = Actor & { kind: "user" };
export type DemoActors = { support: UserActor; finance: UserActor; finance2: UserActor };

/** An EAT wall-clock time on an EAT day (YYYY-MM-DD). */
const fromEatWallClock = (day: string, hour: number, minute: number, second: number) =>
  new Date(startOfEatDay(day).getTime() + ((hour * 60 + minute) * 60 + second) * 1000);

/** A small seeded PRNG (mulberry32): the same demo data on every first start. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ["JANE WANJIRU", "PETER OTIENO", "MARY AKINYI", "JOHN KAMAU", "GRACE MUTHONI"];
const ITEMS = ["Maize flour 2kg", "Cooking oil 5L", "School shoes", "Solar lamp", "Sugar 10kg"];

// What each demo payment does after its push is accepted: the callbacks Daraja sends, in order.
type Plan = "paid" | "cancelled" | "wrong_pin" | "unreachable" | "insufficient";
type Special = "late_success" | "wrong_amount";
const PLAN_CODES: Record<Plan, number> = {
  paid: 0,
  cancelled: 1032,
  wrong_pin: 2001,
  unreachable: 1037,
  insufficient: 1,
};
const DESCS: Record<number, string> = {
  0: "The service request is processed successfully.",
  1032: "Request Cancelled by user.",
  2001: "The initiator information is invalid.",
  1037: "DS timeout user cannot be reached",
  1: "The balance is insufficient for the transaction.",
};

function callbackBody(input: {
  checkoutRequestId: string;
  code: number;
  amount?: number;
  receipt?: string;
  phone?: string;
  at?: Date;
}): string {
  const paid = input.code === 0;
  const stamp = input.at
    ? eatDay(input.at).replace(/-/g, "") +
      new Date(input.at.getTime() + 3 * 3_600_000).toISOString().slice(11, 19).replace(/:/g, "")
    : "";
  return JSON.stringify({
    Body: {
      stkCallback: {
        MerchantRequestID: `DEMO-${input.checkoutRequestId.slice(-6)}`,
        CheckoutRequestID: input.checkoutRequestId,
        ResultCode: input.code,
        ResultDesc: DESCS[input.code] ?? "",
        ...(paid
          ? {
              CallbackMetadata: {
                Item: [
                  { Name: "Amount", Value: input.amount },
                  { Name: "MpesaReceiptNumber", Value: input.receipt },
                  { Name: "Balance" },
                  { Name: "TransactionDate", Value: Number(stamp) },
                  { Name: "PhoneNumber", Value: Number(input.phone) },
                ],
              },
            }
          : {}),
      },
    },
  });
}

export async function seedDemoActivity(ctx: AppContext, actors: DemoActors) {
  const rand = random(20251124);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  let clock = new Date(0);
  const startedAt = new Date(Date.now() - 60_000);
  let pushes = 0;
  // The seed's own context: its clock walks through the past, its Daraja answers pushes "accepted".
  const daraja = createDarajaClient({
    db: ctx.db,
    mpesa: { ...ctx.config.mpesa, consumerKey: "demo-seed", consumerSecret: "demo-seed" },
    now: () => clock,
    fetch: async (url) => {
      const path = new URL(String(url)).pathname;
      if (path.startsWith("/oauth/"))
        return Response.json({ access_token: "demo-seed-token", expires_in: "3599" });
      pushes += 1;
      return Response.json({
        MerchantRequestID: `DEMO-${pushes}`,
        CheckoutRequestID: `ws_CO_DEMO${String(pushes).padStart(6, "0")}`,
        ResponseCode: "0",
        ResponseDescription: "Success. Request accepted for processing",
        CustomerMessage: "Success. Request accepted for processing",
      });
    },
  });
  // Its callbacks play Safaricom's: trusted whatever allow-list the app runs with (a test's
  // 127.0.0.1 would hold every demo success for an STK Query about an id the simulator never issued).
  const seedCtx: AppContext = {
    ...ctx,
    config: { ...ctx.config, mpesa: { ...ctx.config.mpesa, allowedIps: null } },
    daraja,
    now: () => clock,
  };
  let receipts = 0;
  const newReceipt = () => {
    receipts += 1;
    const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    const tail = Array.from({ length: 4 }, () => pick([...letters])).join("");
    return `TD${String(receipts).padStart(4, "0")}${tail}`;
  };
  // Cases take their opening time from the database clock (ledger/cases.server.ts), which is
  // today; a demo case opens when its evidence arrived, so the queue's ages read true.
  const backdateNewCases = () =>
    ctx.db.update(exceptions).set({ openedAt: clock }).where(gte(exceptions.openedAt, startedAt));
  const deliver = async (body: string) => {
    const bytes = new TextEncoder().encode(body);
    const raw = await recordCallback(seedCtx, {
      kind: "stk",
      tokenValid: true,
      body: bytes,
      sizeBytes: bytes.length,
      headers: new Headers({ "content-type": "application/json" }),
      sourceIp: "196.201.214.200",
    });
    await processStkCallback(seedCtx, raw);
    await backdateNewCases();
  };

  const statementLines: StatementCsvLine[] = [];
  const today = eatDay(ctx.now());
  const firstDay = addDays(today, -20);
  let order = 1000;
  for (let d = 0; d <= 20; d++) {
    const day = addDays(firstDay, d);
    const perDay = 3 + Math.floor(rand() * 4);
    for (let i = 0; i < perDay; i++) {
      const hour = 8 + Math.floor(((i + rand()) * 11) / perDay);
      const at = fromEatWallClock(day, hour, Math.floor(rand() * 60), Math.floor(rand() * 60));
      if (at.getTime() > ctx.now().getTime() - 20 * 60_000) continue; // nothing in the future
      const roll = rand();
      const plan: Plan | Special =
        d === 6 && i === 0
          ? "late_success"
          : d === 17 && i === 1
            ? "late_success"
            : (d === 9 || d === 19) && i === 2
              ? "wrong_amount"
              : roll < 0.68
                ? "paid"
                : roll < 0.8
                  ? "cancelled"
                  : roll < 0.87
                    ? "unreachable"
                    : roll < 0.94
                      ? "wrong_pin"
                      : "insufficient";
      const amount = pick([150, 250, 420, 600, 850, 1200, 1500, 2300, 3400, 5200]);
      const phone = `2547${String(10_000_000 + Math.floor(rand() * 89_999_999))}`;
      const name = pick(NAMES);
      clock = at;
      order += 1;
      const payment = await initiatePayment(
        seedCtx,
        { orderRef: `INV-${order}`, amount, phone, description: pick(ITEMS) },
        actors.support,
      );
      const checkoutRequestId = payment.attempts[0].checkoutRequestId!;
      clock = new Date(at.getTime() + (15 + Math.floor(rand() * 30)) * 1000);
      const paid = (paidKes: number) => {
        const receipt = newReceipt();
        statementLines.push({
          receipt,
          completedAt: clock,
          amountKes: paidKes,
          otherParty: `${phone.slice(0, 4)}****${phone.slice(-4)} - ${name}`,
          accountNo: `INV${order}`,
        });
        return callbackBody({
          checkoutRequestId,
          code: 0,
          amount: paidKes,
          receipt,
          phone,
          at: clock,
        });
      };
      if (plan === "late_success") {
        await deliver(callbackBody({ checkoutRequestId, code: 1037 }));
        clock = new Date(clock.getTime() + 4 * 60_000);
        await deliver(paid(amount));
      } else if (plan === "wrong_amount") {
        await deliver(paid(amount - 1));
      } else if (plan === "paid") {
        await deliver(paid(amount));
      } else {
        await deliver(callbackBody({ checkoutRequestId, code: PLAN_CODES[plan] }));
      }
    }
  }

  // A success for a CheckoutRequestID we never issued: an orphan callback, two days ago.
  clock = fromEatWallClock(addDays(today, -2), 14, 5, 0);
  const orphanReceipt = newReceipt();
  await deliver(
    callbackBody({
      checkoutRequestId: "ws_CO_DEMO_UNKNOWN_01",
      code: 0,
      amount: 700,
      receipt: orphanReceipt,
      phone: "254711000222",
      at: clock,
    }),
  );
  statementLines.push({
    receipt: orphanReceipt,
    completedAt: clock,
    amountKes: 700,
    otherParty: "2547****0222 - ANNE NJERI",
    accountNo: "INV-UNKNOWN",
  });

  // Finance resolves the older cases; the newer ones stay open for the queue to show.
  const cases = await ctx.db.select().from(exceptions).where(eq(exceptions.status, "open"));
  const older = cases
    .filter(
      (c: PaymentException) =>
        c.openedAt.getTime() < fromEatWallClock(addDays(today, -12), 0, 0, 0).getTime(),
    )
    .slice(0, 2);
  for (const c of older) {
    clock = new Date(c.openedAt.getTime() + 26 * 3_600_000);
    const intent = c.type === "orphan_callback" ? "not_ours" : "accept_paid";
    await resolveException(seedCtx, actors.finance, c.id, {
      intent,
      note: "Checked with the customer on the phone; demo resolution.",
    });
  }

  // The statement for the last fortnight up to yesterday, imported by finance a little after it.
  const from = fromEatWallClock(addDays(today, -14), 0, 0, 0);
  const to = new Date(fromEatWallClock(today, 0, 0, 0).getTime() - 1000);
  const inPeriod = statementLines.filter((l) => l.completedAt >= from && l.completedAt <= to);
  // A customer who paid at the paybill directly (no prompt): the matcher leaves it for a person.
  inPeriod.push({
    receipt: newReceipt(),
    completedAt: fromEatWallClock(addDays(today, -5), 11, 42, 10),
    amountKes: 1800,
    otherParty: "2547****9911 - DAVID MWANGI",
    accountNo: "SHOP",
    reasonType: "Pay Bill",
  });
  clock = new Date(to.getTime() + 8 * 3_600_000);
  await importStatement(seedCtx, {
    fileName: `statement-${addDays(today, -14)}-to-${addDays(today, -1)}.csv`,
    input: buildStatementCsv({
      shortCode: ctx.config.mpesa.shortcode,
      accountHolder: ctx.config.mpesa.merchantName.toUpperCase(),
      from,
      to,
      openingBalanceKes: 25_000,
      lines: inPeriod,
    }),
    actor: actors.finance,
  });
  await backdateNewCases();
  // Finance signs off the first clean days of the statement.
  const days = await getDayStatuses(ctx.db, addDays(today, -14), addDays(today, -8));
  for (const day of days.filter((s) => s.lines > 0 && s.open === 0).slice(0, 4)) {
    await signOffDay(seedCtx, { day: day.day, note: undefined }, actors.finance2);
  }
  return { payments: order - 1000 };
}
