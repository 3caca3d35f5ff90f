-- An initiator request Daraja refused when it was sent (it answered with an error: nothing entered
-- M-Pesa's queue) is now `refused`, apart from `send_failed` (no usable answer: M-Pesa may have taken
-- it, and its result is applied). A result naming a refused request is not about it and changes
-- nothing. Rows written as `send_failed` before this release keep that state.
ALTER TABLE "daraja_requests" DROP CONSTRAINT "daraja_requests_state_check";--> statement-breakpoint
ALTER TABLE "daraja_requests" ADD CONSTRAINT "daraja_requests_state_check" CHECK ("state" in ('awaiting_approval','rejected','sending','sent','send_failed','completed','failed','timed_out','unanswered','refused'));
