-- Counts a live check found, e.g. Lever's CERTN status tags: tag → number of
-- candidates, as a JSON object ('' when the check counts nothing). Kept
-- apart from the worded detail so that monitoring reads numbers, not prose.
ALTER TABLE check_results ADD COLUMN counts TEXT NOT NULL DEFAULT '';
