-- Which way an indicator points, for the six-protections profile.
--
-- The profile read every indicator as "more is more protection". For case
-- counts (crimes and disputes involving minors) more means more harm, or
-- more detection: the catalogue now says so, and the profile scales such
-- indicators the other way (the fewest cases per 10,000 minors score 100).

-- +goose Up
ALTER TABLE indicators ADD COLUMN lower_is_better boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN indicators.lower_is_better IS
  'fewer is better (case counts): the protection profile scores the lowest peer 100';

-- +goose Down
ALTER TABLE indicators DROP COLUMN lower_is_better;
