-- The role a delivery's stored body was rendered for: a retry sends the same bytes only while the
-- endpoint still has that role, and renders the body again (masking phone numbers as the new role
-- must see them) once an admin has changed it. Bodies stored before this release were rendered for
-- their endpoint's role at the time, taken to be the one it has now.
ALTER TABLE "webhook_deliveries" ADD COLUMN "request_body_role" text;--> statement-breakpoint
UPDATE "webhook_deliveries" d SET "request_body_role" = e."role" FROM "webhook_endpoints" e
  WHERE e."id" = d."endpoint_id" AND d."request_body" IS NOT NULL;
