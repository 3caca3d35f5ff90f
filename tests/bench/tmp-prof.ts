import { createReadStream, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { openDatabase, rowsOf } from "../../db/client";
import { migrate } from "../../db/migrate";
import { statementImports, statementLines } from "../../db/schema";
import { readStatement } from "../../app/modules/reconciliation/statement-parse.server";
import { generateStatementLines, statementCsvChunks } from "../support/statement-file";
import { scratchDatabase } from "./support";

writeFileSync("/tmp/s20k.csv", [...statementCsvChunks({ lines: generateStatementLines(20_000, 42) })].join(""));
let t0 = performance.now();
const lines: any[] = [];
for await (const e of readStatement(createReadStream("/tmp/s20k.csv"))) if (e.type === "line") lines.push(e.line);
console.log("parse", ((performance.now() - t0) / 1000).toFixed(2));
const pglite = process.argv.includes("--pglite");
const scratch = pglite ? null : await scratchDatabase("prof_tmp");
const { db, close } = await openDatabase(scratch ? { databaseUrl: scratch.url } : { dataDir: null });
await migrate(db);
const importId = randomUUID();
await db.insert(statementImports).values({ id: importId, fileSha256: "x", fileName: "x", layout: "x" });
const rowOf = (line: any) => ({ importId, receipt: line.receipt, transactionStatus: line.status, completedAt: line.completedAt, initiatedAt: line.initiatedAt,
  direction: line.direction, paidInKes: line.paidInKes, withdrawnKes: line.withdrawnKes, details: line.details || null,
  reasonType: line.reasonType || null, otherPartyInfo: line.otherPartyInfo || null, linkedTransactionId: line.linkedTransactionId,
  accountNo: line.accountNo, matchState: "new", raw: { row: line.rowNumber, cells: line.raw } });
for (const variant of ["drizzle", "json", "drizzle", "json"]) {
  await db.delete(statementLines);
  t0 = performance.now();
  for (let i = 0; i < lines.length; i += 1000) {
    const batch = lines.slice(i, i + 1000).map(rowOf);
    if (variant === "drizzle") await db.insert(statementLines).values(batch).onConflictDoNothing().returning({ id: statementLines.id });
    else {
      const r = await db.execute(sql`insert into statement_lines (import_id, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes, withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw)
        select "importId", receipt, "transactionStatus", "completedAt", "initiatedAt", direction, "paidInKes", "withdrawnKes", details, "reasonType", "otherPartyInfo", "linkedTransactionId", "accountNo", "matchState", raw
        from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as x("importId" uuid, receipt text, "transactionStatus" text, "completedAt" timestamptz, "initiatedAt" timestamptz, direction text, "paidInKes" bigint, "withdrawnKes" bigint, details text, "reasonType" text, "otherPartyInfo" text, "linkedTransactionId" text, "accountNo" text, "matchState" text, raw jsonb)
        on conflict do nothing returning id`);
      if (i === 0 && rowsOf(r).length !== 1000) throw new Error("bad");
    }
  }
  console.log(variant, ((performance.now() - t0) / 1000).toFixed(2));
}
await close(); await scratch?.drop();
