-- Names of profiles renamed or removed. A write of a patchbay that was
-- already running meets the name and fails, instead of bringing the profile
-- back empty (a profile is otherwise created by its first write). Creating
-- the profile on purpose (a command that writes, with --profile) clears it.
CREATE TABLE profile_tombstones (
    name        TEXT    NOT NULL PRIMARY KEY CHECK (name <> ''),
    replaced_by TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
