// Other Party Info as statements write it ("2547****5678 - JANE DOE"): the MSISDN witness (plain,
// masked or not a phone) and the name, each optional.
import { parseOtherPartyInfo } from "./other-party";

it.each([
  [
    "2547****5678 - JANE DOE",
    { kind: "masked", maskedPrefix: "2547", maskedSuffix: "5678" },
    "JANE DOE",
  ],
  [
    "254712345678 - MARY-ANNE WANJIKU",
    { kind: "plain", plain: "254712345678" },
    "MARY-ANNE WANJIKU",
  ],
  ["600100 - KCB BANK KENYA", { kind: "unknown", raw: "600100" }, "KCB BANK KENYA"],
  ["254712345678", { kind: "plain", plain: "254712345678" }, null],
  ["600100", { kind: "unknown", raw: "600100" }, null],
  ["ACME BANK", { kind: "unknown", raw: "" }, "ACME BANK"],
  ["", { kind: "unknown", raw: "" }, null],
])("reads %j", (text, msisdn, name) => {
  const party = parseOtherPartyInfo(text);
  expect(party.msisdn).toMatchObject(msisdn);
  expect(party.name).toBe(name);
});
