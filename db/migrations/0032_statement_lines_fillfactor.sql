-- Matching rewrites a statement's lines after the store step wrote them full (money no payment knows
-- becomes `exception`, reversals `reversal`): each rewrite is a new row version. On pages filled to the
-- brim it lands on another page, with a new entry in each of the table's five indexes; with a tenth of
-- each page kept free the new version stays on its page and no index changes (a HOT update). On
-- 19,157 such lines of a 200,000-line statement the UPDATE took 0.35-0.54 s instead of 0.89-0.91 s;
-- the table is 8 % larger. Pages written before this migration keep their fill.
ALTER TABLE statement_lines SET (fillfactor = 90);
