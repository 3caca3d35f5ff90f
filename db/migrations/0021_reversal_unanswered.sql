-- A reversal M-Pesa never answered (its result lost: Daraja does not post a refused or unreachable
-- ResultURL again) stayed `sent`, a live reversal, and no other reversal of the receipt could be asked
-- for. Finance may now record that no answer came (`unanswered`, with who, when and why), which is not
-- live; a result that comes after all is still applied.
ALTER TABLE "daraja_requests" DROP CONSTRAINT "daraja_requests_state_check";--> statement-breakpoint
ALTER TABLE "daraja_requests" ADD CONSTRAINT "daraja_requests_state_check" CHECK ("state" in ('awaiting_approval','rejected','sending','sent','send_failed','completed','failed','timed_out','unanswered'));
