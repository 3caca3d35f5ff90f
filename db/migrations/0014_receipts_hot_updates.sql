-- Statement import speed (issue 18, second round).
-- A statement import marks every receipt it shows `seen_in_statement` (170,000 rows for a busy paybill's
-- month), and other witnesses flip their own flags on a receipt later. None of those columns is
-- indexed, so each change can be a "HOT" update (the new row version beside the old one, no new entry in
-- the table's three indexes) when the page has room for it. Receipts are inserted one at a time and
-- filled their pages completely, so every such update went to another page and added three index
-- entries. Half of each page is now left free for that one later change of each row. It applies to
-- pages written from now on; existing receipts keep their full pages until the table is rewritten
-- (VACUUM FULL receipts, which locks the table, so it is not done here).
ALTER TABLE "receipts" SET (fillfactor = 50);
