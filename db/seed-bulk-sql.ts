// The SQL behind `npm run seed:bulk`: each batch draws N payments in one `generate_series` pass into a
// staging table, then fans them out into attempts, receipts, raw callbacks, timeline events and
// exceptions with set-based inserts (no per-row round trips). Numbers are validated integers and the
// run tag is [A-Z]{2}, so they are inlined; everything else is constant text.
import { classifyStkResult, KNOWN_STK_RESULT_CODES } from "../app/modules/daraja/result-codes";

export type BatchSpec = { run: string; lo: number; hi: number; days: number; total: number };

const EAT = "'Africa/Nairobi'";
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The plain-English reasons, taken from the one catalogue so seeded rows read like real ones. */
export function reasonsTableSql(): string {
  const rows = KNOWN_STK_RESULT_CODES.map(
    (code) => `(${quote(code)}, ${quote(classifyStkResult(code).reason)})`,
  ).join(", ");
  return `create temp table seed_reasons on commit drop as select * from (values ${rows}) v(code, reason)`;
}

// Failure codes weighted roughly as a Kenyan merchant sees them: most failures are an empty wallet or a wrong PIN.
const FAILED_CODES = [
  "1",
  "1",
  "1",
  "1",
  "1",
  "1",
  "1",
  "1",
  "1",
  "2001",
  "2001",
  "2001",
  "2001",
  "2001",
  "1001",
  "1001",
  "17",
  "26",
  "1036",
  "8006",
];

export function stagingSql(b: BatchSpec): string {
  const codes = `array[${FAILED_CODES.map(quote).join(",")}]`;
  return `
create temp table seed_p on commit drop as
with base as (
  select n, random() r_age, random() r_h1, random() r_h2, random() r_status, random() r_code,
         random() r_a1, random() r_a2, random() r_phone, random() r_extra, random() r_lag
  from generate_series(${b.lo}, ${b.hi}) n
), timed as (
  select *,
    -- Busier toward today (sqrt), and around 13:00 EAT with a spread of ~4.5 hours.
    (date_trunc('day', now() at time zone ${EAT})
      - make_interval(days => floor(${b.days} * (1 - sqrt(r_age)))::int)
      + make_interval(secs => mod((13 + 4.5 * sqrt(-2 * ln(greatest(r_h1, 1e-9))) * cos(2 * pi() * r_h2))::numeric + 48, 24)::double precision * 3600)
    ) at time zone ${EAT} as t0,
    exp(ln(800) + 1.1 * sqrt(-2 * ln(greatest(r_a1, 1e-9))) * cos(2 * pi() * r_a2)) as raw_amount
  from base
), shaped as (
  select n, r_code, r_extra, r_lag,
    case when n > ${b.total} - 20 then now() - make_interval(secs => 5 + r_lag * 60)
         when t0 > now() - interval '3 minutes' then t0 - interval '1 day' else t0 end as created_at,
    greatest(10, least(150000, case when raw_amount > 1000 then round(raw_amount / 10) * 10 else round(raw_amount) end))::bigint as amount,
    '2547' || lpad(((floor(r_phone * 250000)::bigint * 7919 + 12345678) % 100000000)::text, 8, '0') as phone,
    -- The last few rows of the whole run are still waiting for the customer.
    case when n > ${b.total} - 20 then 'pending'
         when r_status < 0.70 then 'paid' when r_status < 0.82 then 'cancelled' when r_status < 0.90 then 'failed'
         when r_status < 0.96 then 'expired' when r_status < 0.97 then 'unknown' when r_status < 0.975 then 'refunded' else 'paid' end as status
  from timed
)
select s.*, gen_random_uuid() as id, gen_random_uuid() as attempt_id,
  'B${b.run}' || s.n as order_ref,
  'ws_CO_${b.run}' || lpad(s.n::text, 10, '0') as checkout_id,
  '${b.run}-' || s.n || '-1' as merchant_request_id,
  case when s.status in ('paid', 'refunded') then 'S${b.run}' || lpad(upper(to_hex(s.n)), 7, '0') end as receipt,
  case s.status when 'paid' then '0' when 'refunded' then '0' when 'cancelled' then '1032'
    when 'expired' then case when r_code < 0.7 then '1037' else '1019' end
    when 'failed' then (${codes})[1 + floor(r_code * ${FAILED_CODES.length})::int] end as result_code,
  -- Customers answer in 8–60 s; an unknown outcome is given up on after five minutes of polling.
  s.created_at + make_interval(secs => case when s.status = 'unknown' then 300 else 8 + r_lag * 52 end) as final_at,
  (r_extra < 0.08 and s.status not in ('pending', 'unknown')) as resent
from shaped s`;
}

/** Applied after the staging table exists, in the same transaction. */
export function fanOutSql(): string[] {
  return [
    `insert into payments (id, order_ref, amount_kes, phone, description, account_reference, status, status_reason, result_code, receipt,
       created_at, updated_at, paid_at, final_at)
     select p.id, p.order_ref, p.amount, p.phone, 'Order ' || p.order_ref, p.order_ref, p.status,
       case when p.status = 'unknown' then 'No answer from M-Pesa after 5 minutes of checking'
            when p.status = 'refunded' then 'Refunded in the M-Pesa portal' else r.reason end,
       p.result_code, p.receipt, p.created_at, case when p.status = 'pending' then p.created_at else p.final_at end,
       case when p.status in ('paid', 'refunded') then p.final_at end,
       case when p.status not in ('pending', 'initiating') then p.final_at end
     from seed_p p left join seed_reasons r on r.code = p.result_code`,
    // A re-sent payment's first prompt was cancelled; the second one carries the outcome.
    `insert into stk_attempts (id, payment_id, seq, phone, amount_kes, status, merchant_request_id, checkout_request_id, result_code, result_desc,
       callback_at, reason, created_at, updated_at)
     select gen_random_uuid(), p.id, 1, p.phone, p.amount, 'cancelled', p.merchant_request_id || 'a', p.checkout_id || 'A', '1032',
       'Request cancelled by user', p.created_at + interval '20 seconds', null, p.created_at, p.created_at + interval '20 seconds'
     from seed_p p where p.resent`,
    `insert into stk_attempts (id, payment_id, seq, phone, amount_kes, status, merchant_request_id, checkout_request_id, result_code, result_desc,
       receipt, callback_at, reason, next_poll_at, poll_count, last_polled_at, last_poll_answer, created_at, updated_at)
     select p.attempt_id, p.id, case when p.resent then 2 else 1 end, p.phone, p.amount,
       case p.status when 'refunded' then 'paid' else p.status end, p.merchant_request_id, p.checkout_id, p.result_code, r.reason,
       p.receipt, case when p.status not in ('unknown', 'pending') then p.final_at end,
       case when p.resent then 'Customer asked for the prompt again' end,
       case when p.status = 'pending' then p.created_at + interval '30 seconds' end,
       case when p.status = 'unknown' then 6 else 0 end, case when p.status = 'unknown' then p.final_at end,
       case when p.status = 'unknown' then 'no answer (500)' end,
       case when p.resent then p.created_at + interval '40 seconds' else p.created_at end,
       case when p.status = 'pending' then p.created_at else p.final_at end
     from seed_p p left join seed_reasons r on r.code = p.result_code`,
    `insert into receipts (receipt, amount_kes, payment_id, attempt_id, phone, transaction_at, first_source, seen_in_callback, created_at)
     select p.receipt, p.amount, p.id, p.attempt_id, p.phone, p.final_at, 'stk_callback', true, p.final_at from seed_p p where p.receipt is not null`,
    // The callback body as Daraja sends it (docs/daraja.md#stk-callback-body); a few arrive twice
    // and are logged as duplicates.
    `insert into raw_callbacks (kind, received_at, source_ip, source_trusted, headers, body, size_bytes, token_valid, outcome, outcome_detail,
       processed_at, checkout_request_id, receipt, attempt_id, payment_id)
     select 'stk', p.final_at + make_interval(secs => d.k * 7), '196.201.214.200', true, '{"content-type":"application/json"}'::jsonb,
       convert_to(b.body, 'UTF8'), octet_length(b.body), true, case when d.k = 0 then 'applied' else 'duplicate' end,
       case when d.k = 0 then 'applied to the payment' else 'same result already recorded' end,
       p.final_at + make_interval(secs => d.k * 7), p.checkout_id, p.receipt, p.attempt_id, p.id
     from seed_p p
     cross join lateral (select jsonb_strip_nulls(jsonb_build_object('Body', jsonb_build_object('stkCallback', jsonb_build_object(
         'MerchantRequestID', p.merchant_request_id, 'CheckoutRequestID', p.checkout_id, 'ResultCode', p.result_code::int,
         'ResultDesc', case when p.result_code = '0' then 'The service request is processed successfully.' else (select reason from seed_reasons where code = p.result_code) end,
         'CallbackMetadata', case when p.receipt is not null then jsonb_build_object('Item', jsonb_build_array(
           jsonb_build_object('Name', 'Amount', 'Value', p.amount), jsonb_build_object('Name', 'MpesaReceiptNumber', 'Value', p.receipt),
           jsonb_build_object('Name', 'TransactionDate', 'Value', to_char(p.final_at at time zone ${EAT}, 'YYYYMMDDHH24MISS')::bigint),
           jsonb_build_object('Name', 'PhoneNumber', 'Value', p.phone::bigint))) end))))::text as body) b
     cross join lateral generate_series(0, case when p.r_extra between 0.08 and 0.085 then 1 else 0 end) d(k)
     where p.status not in ('unknown', 'pending')`,
    // About one in a thousand callbacks names a CheckoutRequestID we never issued (another system on the shortcode).
    `insert into raw_callbacks (kind, received_at, source_ip, source_trusted, headers, body, size_bytes, token_valid, outcome, outcome_detail,
       processed_at, checkout_request_id)
     select 'stk', p.final_at, '196.201.214.200', true, '{"content-type":"application/json"}'::jsonb, convert_to(b.body, 'UTF8'), octet_length(b.body),
       true, 'orphan', 'no attempt with this CheckoutRequestID', p.final_at, 'ws_CO_X' || p.checkout_id
     from seed_p p cross join lateral (select jsonb_build_object('Body', jsonb_build_object('stkCallback', jsonb_build_object(
       'MerchantRequestID', 'X' || p.merchant_request_id, 'CheckoutRequestID', 'ws_CO_X' || p.checkout_id, 'ResultCode', 1032,
       'ResultDesc', 'Request cancelled by user')))::text as body) b
     where p.r_extra > 0.999`,
    `insert into payment_events (payment_id, attempt_id, type, actor_type, actor_label, summary, data, created_at)
     select p.id, p.attempt_id, e.type, e.actor_type, e.actor_label, e.summary, e.data, e.at
     from seed_p p cross join lateral (values
       ('created', 'api_key', 'API key shop', 'Payment of KES ' || p.amount || ' requested for order ' || p.order_ref, null::jsonb, p.created_at),
       ('push_accepted', 'daraja', 'M-Pesa', 'M-Pesa accepted the prompt; waiting for the customer', jsonb_build_object('checkoutRequestId', p.checkout_id), p.created_at + interval '1 second'),
       ('callback', 'daraja', 'M-Pesa', 'Callback: ResultCode ' || coalesce(p.result_code, '?'), jsonb_build_object('resultCode', p.result_code, 'receipt', p.receipt), p.final_at),
       ('status_changed', 'daraja', 'M-Pesa', 'Status pending → ' || p.status, jsonb_build_object('from', 'pending', 'to', p.status), p.final_at)
     ) e(type, actor_type, actor_label, summary, data, at)
     where p.status <> 'pending' or e.type in ('created', 'push_accepted')`,
    // unknown outcomes always open a case; recent ones are still open, older ones were worked.
    `insert into exceptions (type, status, dedupe_key, payment_id, attempt_id, receipt, amount_at_stake_kes, summary, opened_at,
       resolution, resolution_note, resolved_at)
     select x.type, case when x.open then 'open' else 'resolved' end, x.type || ':' || p.attempt_id || ':seed', p.id, p.attempt_id, p.receipt, p.amount,
       x.summary, p.final_at, case when x.open then null else x.resolution end, case when x.open then null else 'Checked in the M-Pesa portal' end,
       case when x.open then null else p.final_at + interval '1 day' end
     from seed_p p cross join lateral (select
       case when p.status = 'unknown' then 'unknown_outcome' when p.r_code < 0.5 then 'late_success' else 'amount_mismatch' end as type,
       case when p.status = 'unknown' then 'No answer from M-Pesa after 5 minutes of checking'
            when p.r_code < 0.5 then 'M-Pesa reported success after the payment was marked expired'
            else 'The customer paid a different amount than requested' end as summary,
       case when p.status = 'unknown' then 'marked_expired' else 'accepted_paid' end as resolution,
       (p.final_at > now() - interval '14 days' or p.r_lag < 0.02) as open) x
     where p.status = 'unknown' or (p.status = 'paid' and p.r_lag > 0.997)`,
  ];
}

/** Once per run: staff activity and poller history, so the admin pages have something to page through. */
export function extrasSql(run: string, adminId: string, payments: number): string[] {
  const samplePercent = Math.min(100, Math.ceil((20_000 / payments) * 100 * 1.2));
  return [
    // Support and finance activity on real payments (so the audit's links lead somewhere), plus admin changes.
    `insert into staff_audit (actor_user_id, actor_label, action, entity_type, entity_id, before, after, note, ip, created_at)
     select '${adminId}'::uuid, 'Bench Admin', a.action, a.entity_type, case when a.entity_type = 'payment' then p.id::text else '${run}-' || p.n end,
       a.before, a.after, a.note, '10.0.0.' || (p.n % 200), p.created_at + interval '10 minutes'
     from (select id, created_at, row_number() over () as n from payments tablesample bernoulli (${samplePercent}) limit 20000) p
     cross join lateral (select (array['payment.resend', 'payment.note', 'payment.check', 'user.role', 'apikey.create'])[1 + p.n % 5] as action,
       (array['payment', 'payment', 'payment', 'user', 'api_key'])[1 + p.n % 5] as entity_type,
       (array['{"status":"cancelled"}', null, null, '{"role":"support"}', null])[1 + p.n % 5]::jsonb as before,
       (array['{"status":"initiating"}', null, '{"answer":"still pending"}', '{"role":"finance"}', '{"role":"manager"}'])[1 + p.n % 5]::jsonb as after,
       (array['Customer asked for a new prompt', 'Customer called about a double charge', null, null, null])[1 + p.n % 5] as note) a`,
    `insert into poller_runs (instance, trigger, status, started_at, finished_at, due, queried, changed, errors, error)
     select 'bench:${run}', 'schedule', case when n % 97 = 0 then 'failed' else 'ok' end, now() - make_interval(secs => n * 15),
       now() - make_interval(secs => n * 15 - 1), n % 4, n % 4, n % 2, case when n % 97 = 0 then 1 else 0 end,
       case when n % 97 = 0 then 'M-Pesa answered 503 Service Unavailable' end
     from generate_series(1, 40000) n`,
  ];
}

export const ANALYZE_TABLES = [
  "payments",
  "stk_attempts",
  "receipts",
  "raw_callbacks",
  "payment_events",
  "exceptions",
  "staff_audit",
  "poller_runs",
  "payment_stats",
];
