-- Red-amber-green thresholds per indicator (issue 18, item 6): the
-- dashboard's map and heatmap colour a region red, amber or green by these
-- when the catalogue sets them, and by the peers' tertiles otherwise. They
-- apply to the figure the charts colour: per 10,000 minors for counts, the
-- value itself otherwise. For a higher-is-better indicator green starts at
-- rag_green and amber at rag_amber (rag_green >= rag_amber); for a
-- lower-is-better one green ends at rag_green and amber at rag_amber
-- (rag_green <= rag_amber). Both or neither.

-- +goose Up
ALTER TABLE indicators
  ADD COLUMN rag_amber numeric,
  ADD COLUMN rag_green numeric,
  ADD CONSTRAINT indicators_rag_thresholds CHECK (
    (rag_amber IS NULL AND rag_green IS NULL)
    OR (rag_amber IS NOT NULL AND rag_green IS NOT NULL
        AND CASE WHEN lower_is_better THEN rag_green <= rag_amber ELSE rag_green >= rag_amber END));
-- Admins change them through hub_app, like the other definition columns (00051).
GRANT UPDATE (rag_amber, rag_green) ON indicators TO hub_app;

-- +goose Down
REVOKE UPDATE (rag_amber, rag_green) ON indicators FROM hub_app;
ALTER TABLE indicators DROP CONSTRAINT indicators_rag_thresholds,
  DROP COLUMN rag_green, DROP COLUMN rag_amber;
