// The statement imports, newest first: file, period, who imported it and what came of it.
import { Link } from "@remix-run/react";
import { EatTime } from "../format";

export type ImportRow = {
  id: string;
  fileName: string;
  importedAt: string;
  importedBy: string;
  shortCode: string | null;
  periodFrom: string | null;
  periodTo: string | null;
  lineCount: number;
  newLineCount: number;
  summary: {
    failed: number;
    match: {
      matched: number;
      proposed: number;
      exceptions: number;
      missingFromStatement: number;
    } | null;
  } | null;
};

export function ImportTable({ rows }: { rows: ImportRow[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>File</th>
            <th>Period</th>
            <th>Imported</th>
            <th className="num">Lines (new)</th>
            <th className="num">Matched</th>
            <th className="num">Proposed</th>
            <th className="num">Exceptions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const m = r.summary?.match;
            return (
              <tr key={r.id}>
                <td>
                  <Link to={`/reconciliation/${r.id}`}>{r.fileName}</Link>
                  {r.shortCode ? <div className="muted">Short code {r.shortCode}</div> : null}
                </td>
                <td>
                  {r.periodFrom ? (
                    <>
                      <EatTime at={r.periodFrom} /> – <EatTime at={r.periodTo} />
                    </>
                  ) : (
                    <span className="muted">not stated</span>
                  )}
                </td>
                <td>
                  <EatTime at={r.importedAt} />
                  <div className="muted">by {r.importedBy}</div>
                </td>
                <td className="num">
                  {r.lineCount.toLocaleString("en-KE")} ({r.newLineCount.toLocaleString("en-KE")})
                </td>
                <td className="num">
                  {m ? m.matched.toLocaleString("en-KE") : <span className="muted">matching…</span>}
                </td>
                <td className="num">{m?.proposed.toLocaleString("en-KE") ?? "—"}</td>
                <td className="num">
                  {m ? (m.exceptions + m.missingFromStatement).toLocaleString("en-KE") : "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
