// The reporting rollup: payment counts and shillings per East Africa Time hour, kept exact by triggers
// on payments (migrations 0004, 0031: once per statement) that append deltas. Here: folding those deltas in, rebuilding from
// scratch, and the two reads the dashboard needs. Bounds are EAT wall-clock times (`2025-03-14 00:00`),
// the rollup's own key. Why a rollup at all: docs/decisions/002-dashboard-aggregates.md. Paid rows also
// carry M-Pesa's charges on those payments and how many had no charge known (migration 0013).
import { sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";

const FOLD_LOCK = 727_010;

/** An EAT wall-clock time, `YYYY-MM-DD` or `YYYY-MM-DD HH:mm`, as the rollup's key type. */
export type EatWallClock = string;
const at = (t: EatWallClock) => sql`${t}::timestamp`;

/** Every hour row of the range, folded or not: the rollup plus the deltas not yet folded into it. */
const statsBetween = (from: EatWallClock, to: EatWallClock) => sql`(
  select eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged from payment_stats where eat_hour >= ${at(from)} and eat_hour < ${at(to)}
  union all
  select eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged from payment_stat_deltas where eat_hour >= ${at(from)} and eat_hour < ${at(to)}
)`;

/**
 * Moves the trigger's deltas into payment_stats. Safe to call from any reader at any time: a reader that
 * finds another fold running skips (it still sees the deltas), and the DELETE … RETURNING only takes
 * the deltas its snapshot sees, so a delta committed meanwhile waits for the next fold.
 */
export async function foldPaymentStats(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const [lock] = rowsOf<{ ok: boolean }>(
      await tx.execute(sql`select pg_try_advisory_xact_lock(${FOLD_LOCK}) as ok`),
    );
    if (!lock?.ok) return;
    await tx.execute(sql`
      with moved as (delete from payment_stat_deltas returning eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
      insert into payment_stats (eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
      select eat_hour, basis, status, result_code, sum(payments), sum(amount_kes), sum(charge_kes), sum(uncharged) from moved group by 1, 2, 3, 4
      on conflict (eat_hour, basis, status, result_code) do update
        set payments = payment_stats.payments + excluded.payments, amount_kes = payment_stats.amount_kes + excluded.amount_kes,
          charge_kes = payment_stats.charge_kes + excluded.charge_kes, uncharged = payment_stats.uncharged + excluded.uncharged`);
  });
}

/** Recounts everything from payments (after a bulk load with the trigger off, or to prove the rollup). */
export async function rebuildPaymentStats(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    // Block payment writes while recounting, so no delta can fall between the count and the swap.
    await tx.execute(sql`lock table payments in share mode`);
    await tx.execute(sql`delete from payment_stat_deltas`);
    await tx.execute(sql`delete from payment_stats`);
    await tx.execute(sql`insert into payment_stats (eat_hour, basis, status, result_code, payments, amount_kes)
      select eat_hour(created_at), 'created', status, coalesce(result_code, ''), count(*), sum(amount_kes) from payments group by 1, 3, 4`);
    await tx.execute(sql`insert into payment_stats (eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
      select eat_hour(paid_at), 'paid', 'paid', '', count(*), sum(amount_kes), coalesce(sum(charge_kes), 0), count(*) filter (where charge_kes is null)
      from payments where status = 'paid' and paid_at is not null group by 1`);
  });
}

export type StatsRow = {
  /** Which grouping the row belongs to. */
  set: "day" | "code" | "hour";
  basis: "created" | "paid";
  day: string | null;
  hourOfDay: number | null;
  current: boolean | null;
  status: string;
  resultCode: string | null;
  payments: number;
  amountKes: number;
  /** M-Pesa's charges on these payments (paid basis only), and how many had none known. */
  chargeKes: number;
  uncharged: number;
};

/**
 * One pass over [from, to): per EAT day and status, per status and result code, and per EAT hour of
 * day and status — the last two split into rows before and from `currentFrom` (the compared period).
 */
export async function readStats(
  db: Db,
  range: { from: EatWallClock; to: EatWallClock; currentFrom: EatWallClock },
): Promise<StatsRow[]> {
  const rows = await db.transaction(async (tx) => {
    // Two years of hours is ~150,000 rows: enough memory to hash the three groupings in one pass
    // instead of sorting on disk (measured 2–3× faster on the bench database).
    await tx.execute(sql`set local work_mem = '32MB'`);
    return rowsOf<Record<string, unknown>>(
      await tx.execute(sql`
      select case grouping(eat_day, hour_of_day, result_code) when 3 then 'day' when 6 then 'code' else 'hour' end as grp,
        basis, eat_day::text as day, hour_of_day, current, status, result_code, sum(payments)::bigint as payments, sum(amount_kes)::bigint as amount_kes,
        sum(charge_kes)::bigint as charge_kes, sum(uncharged)::bigint as uncharged
      from (select basis, status, result_code, payments, amount_kes, charge_kes, uncharged, eat_hour::date as eat_day,
              date_part('hour', eat_hour)::int as hour_of_day, eat_hour >= ${at(range.currentFrom)} as current
            from ${statsBetween(range.from, range.to)} s) x
      group by grouping sets ((basis, eat_day, status), (basis, current, status, result_code), (basis, current, hour_of_day, status))
      having sum(payments) <> 0`),
    );
  });
  return rows.map((r) => ({
    set: r.grp as StatsRow["set"],
    basis: r.basis as StatsRow["basis"],
    day: (r.day as string | null) ?? null,
    hourOfDay: r.hour_of_day == null ? null : Number(r.hour_of_day),
    current: (r.current as boolean | null) ?? null,
    status: String(r.status),
    resultCode: (r.result_code as string | null) ?? null,
    payments: Number(r.payments),
    amountKes: Number(r.amount_kes),
    chargeKes: Number(r.charge_kes),
    uncharged: Number(r.uncharged),
  }));
}

export type Window = { from: EatWallClock; to: EatWallClock };

export type PaidWindow = {
  payments: number;
  amountKes: number;
  chargeKes: number;
  uncharged: number;
};

/** Paid payments, shillings and charges (by the time they were paid) in each window, in one pass. */
export async function readPaidWindows<K extends string>(
  db: Db,
  windows: Record<K, Window>,
): Promise<Record<K, PaidWindow>> {
  const keys = Object.keys(windows) as K[];
  // Same-format wall-clock strings sort as the times they name.
  const from = keys.map((k) => windows[k].from).sort()[0];
  const to = keys
    .map((k) => windows[k].to)
    .sort()
    .at(-1)!;
  const columns = keys.map((k, i) => {
    const w = sql`eat_hour >= ${at(windows[k].from)} and eat_hour < ${at(windows[k].to)}`;
    const column = (expr: string, name: string) =>
      sql`coalesce(sum(${sql.raw(expr)}) filter (where ${w}), 0)::bigint as ${sql.raw(`${name}${i}`)}`;
    return sql.join(
      [
        column("payments", "p"),
        column("amount_kes", "a"),
        column("charge_kes", "c"),
        column("uncharged", "u"),
      ],
      sql`, `,
    );
  });
  const [row] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
    select ${sql.join(columns, sql`, `)} from ${statsBetween(from, to)} s where basis = 'paid'`),
  );
  const n = (name: string) => Number(row?.[name] ?? 0);
  return Object.fromEntries(
    keys.map((k, i) => [
      k,
      {
        payments: n(`p${i}`),
        amountKes: n(`a${i}`),
        chargeKes: n(`c${i}`),
        uncharged: n(`u${i}`),
      },
    ]),
  ) as Record<K, PaidWindow>;
}
