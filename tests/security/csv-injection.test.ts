// CSV formula injection: a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR
// first) leaves every export as text. Anonymous callback bodies and staff-typed names reach these files.
import { parse } from "csv-parse/sync";
import { csvCell } from "../../app/lib/csv-export.server";
import * as auditCsv from "../../app/routes/admin.audit[.]csv";
import * as callbackLog from "../../app/routes/_console.callbacks.export[.csv]";
import { postStkCallback, startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { call, get } from "../support/routes";

const PAYLOADS = ['=HYPERLINK("http://evil.example","Open")', "+1+cmd|'/C calc'!A0", "@SUM(1+1)"];

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  for (const body of PAYLOADS) await postStkCallback(app, body);
});
afterAll(async () => app?.close());

function cells(csv: string): string[] {
  return (parse(csv, { relax_column_count: true }) as string[][]).flat();
}

describe("CSV exports", () => {
  it("defuse every formula-looking cell and leave plain values and numbers alone", () => {
    for (const start of ["=", "+", "-", "@", "\t", "\r"])
      expect(csvCell(`${start}1+2`)).toBe(`'${start}1+2`);
    // A spreadsheet that splits at `;` would start a cell there.
    expect(csvCell("x;=cmd|' /C calc'!A0")).toBe("x;'=cmd|' /C calc'!A0");
    expect(csvCell("a;b; @SUM(1)")).toBe("a;b; @SUM(1)");
    expect(csvCell("=1;+2")).toBe("'=1;'+2");
    expect(csvCell("ORD-1")).toBe("ORD-1");
    expect(csvCell(-5)).toBe(-5);
    expect(csvCell(null)).toBe("");
  });

  it("write callback bodies from anonymous callers as text, not formulas", async () => {
    const admin = await signedIn(app.ctx, "admin");
    const res = await call(callbackLog.loader, app.ctx, get("/callbacks/export.csv", admin));
    const all = cells(await res.text());
    for (const payload of PAYLOADS) expect(all).toContain(`'${payload}`);
    expect(all.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
  });

  it("write a staff member's name that looks like a formula as text in the audit export", async () => {
    const admin = await signedIn(app.ctx, "admin");
    const { createUser } = await import("../../app/modules/auth/users.server");
    await createUser(
      app.ctx.db,
      { email: "formula@example.test", name: "x", role: "support", password: "long enough pass" },
      { ...admin.actor, label: "=cmd|' /C calc'!A0" },
    );
    const res = await call(auditCsv.loader, app.ctx, get("/admin/audit.csv", admin));
    const all = cells(await res.text());
    expect(all).toContain("'=cmd|' /C calc'!A0");
    expect(all.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
  });
});
