// Money and time as people read them (money.ts's formatKes, time.ts's formatEat), written by
// PostgreSQL: a statement's thousands of case summaries are built where the rows are, and must read
// byte for byte as the ones Node writes (sql-text.server.test.ts compares the two).
import { sql, type SQL } from "drizzle-orm";
import { formatEatDate } from "./time";

// The month names Intl gives en-GB in this Node (ICU has changed "Sep" to "Sept" before).
const MONTHS = Array.from(
  { length: 12 },
  (_, m) => formatEatDate(new Date(Date.UTC(2025, m, 15, 9))).split(" ")[1],
);

/**
 * `KES 1,250` for a whole-shilling column or expression. to_char's `,` is always a comma (its `G`
 * would follow the locale); the pattern has room for every bigint's 19 digits.
 */
export function kesSql(kes: SQL): SQL {
  return sql`('KES ' || to_char((${kes})::bigint, 'FM9,999,999,999,999,999,990'))`;
}

/** `14 Mar 2025, 10:15:39 EAT` for a timestamptz; Kenya keeps UTC+3 all year (time.ts). */
export function eatSql(at: SQL): SQL {
  const wall = sql`((${at}) at time zone 'UTC' + interval '3 hours')`;
  const months = sql.raw(`array[${MONTHS.map((m) => `'${m.replace(/'/g, "''")}'`).join(", ")}]`);
  return sql`(to_char(${wall}, 'FMDD') || ' ' || (${months})[extract(month from ${wall})::int] || ' ' || to_char(${wall}, 'YYYY, HH24:MI:SS') || ' EAT')`;
}

/** The instant as toISOString() writes it, whatever the session's time zone. */
export function isoSql(at: SQL): SQL {
  return sql`to_char((${at}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
