-- +goose Up
-- The payment service calls its gateway outside the payment's transaction
-- (issue 10): it first commits the intent, a payment 'charging' or
-- 'refunding', then calls, then commits the answer. A crash between the
-- steps leaves the intent for the redelivered message to finish.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
	CHECK (status IN ('due', 'charging', 'captured', 'declined', 'refunding', 'refunded', 'voided'));

-- +goose Down
-- Fails while a payment awaits its gateway's answer: finish it first (its
-- message's redelivery does), as no earlier status says what it is.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
	CHECK (status IN ('due', 'captured', 'declined', 'refunded', 'voided'));
