// Which kind of Lipa na M-Pesa money a witness describes, in our two words: `paybill` or `buy_goods`
// (a till). STK requests say CustomerPayBillOnline / CustomerBuyGoodsOnline; C2B confirmations say
// "Pay Bill" / "Buy Goods" (older ones "" or the STK word); statements' Reason Type says "Pay Bill
// Online", "Pay Utility…" and the like (docs/daraja.md#m-pesa-charges-tariffs). Unknown → null.
import type { TxnType } from "../../../db/schema";

export function txnTypeOf(raw: string | null | undefined): TxnType | null {
  const word = (raw ?? "").toLowerCase().replace(/[^a-z]/g, "");
  if (!word) return null;
  if (word.includes("buygoods") || word.includes("till")) return "buy_goods";
  if (word.includes("paybill") || word.includes("payutility")) return "paybill";
  return null;
}

/** The same rule in SQL, for set-based writers (a statement's Reason Type column). */
export const TXN_TYPE_SQL_CASE = (column: string) =>
  `case when regexp_replace(lower(coalesce(${column}, '')), '[^a-z]', '', 'g') ~ '(buygoods|till)' then 'buy_goods'
        when regexp_replace(lower(coalesce(${column}, '')), '[^a-z]', '', 'g') ~ '(paybill|payutility)' then 'paybill' end`;
