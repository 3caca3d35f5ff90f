-- A statement line's raw cells are stored as an array in the order of its statement's columns, and
-- the import keeps those column names once (statement_imports.columns) instead of every line
-- repeating them as keys: about a quarter less to parse, write and keep per line. Lines imported before this
-- release keep their cells keyed by column name, and readers accept both.
ALTER TABLE "statement_imports" ADD COLUMN "columns" jsonb;
