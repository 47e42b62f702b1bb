-- A rename or removal of a whole profile in flight. Its secrets move (or go)
-- in the secrets store, which no database transaction covers, so the move is
-- recorded first and finished or undone after a crash, like a pending secret
-- write. keys_json lists the entries involved, as INTEGRATION/KEY (a kept
-- previous value as INTEGRATION/KEY.previous), so recovery needs nothing the
-- move itself changed. No foreign key: the profiles it names come and go.
CREATE TABLE profile_moves (
    id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL CHECK (kind IN ('rename', 'remove')),
    from_profile TEXT    NOT NULL UNIQUE CHECK (from_profile <> ''),
    to_profile   TEXT    NOT NULL DEFAULT '',
    backend      TEXT    NOT NULL DEFAULT '',
    keys_json    TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(keys_json)),
    phase        TEXT    NOT NULL CHECK (phase IN ('copying', 'committed')),
    owner_pid    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    CHECK ((kind = 'rename') = (to_profile <> ''))
) STRICT;
