-- Statement import speed (issue 18, seventh pass). An uploaded file's chunks live only until its import
-- ends (import-job.server.ts deletes them), so compressing each megabyte on the way in (pglz, about
-- 0.5 s of a 39 MB file's upload on PostgreSQL) and decompressing it for the parser saved nothing
-- worth having. EXTERNAL keeps them out of line, uncompressed.
ALTER TABLE "statement_import_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL;
