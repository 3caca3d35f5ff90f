// Uploading a statement export: a plain multipart form (works without JavaScript), pending state when it can.
import { Form, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../csrf";

export function StatementUploadForm({ maxMb }: { maxMb: number }) {
  const navigation = useNavigation();
  const busy = navigation.state !== "idle" && navigation.formData?.get("intent") === "upload";
  return (
    <Form method="post" encType="multipart/form-data" className="card">
      <CsrfInput />
      <input type="hidden" name="intent" value="upload" />
      <label>
        Statement file (CSV exported from the M-PESA org portal, up to {maxMb} MB)
        <input type="file" name="statement" accept=".csv,text/csv" required />
      </label>
      <p className="muted">
        The CSV the portal exports (Org → Statements), preamble and all.{" "}
        <a href="/reconciliation/sample-statement.csv" download>
          Download a sample statement
        </a>{" "}
        to see the layout; the columns are described in the project&apos;s{" "}
        <code>docs/statement-format.md</code>.
      </p>
      <p className="muted">
        Importing the same file twice changes nothing; an overlapping period adds only the receipts
        not seen before.
      </p>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Uploading…" : "Import and match"}
      </button>
    </Form>
  );
}
