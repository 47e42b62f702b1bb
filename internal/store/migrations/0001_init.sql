-- patchbay's first schema. Times are INTEGER unix milliseconds, UTC; NULL
-- means "never" / "none". No column ever holds a secret: secrets live in the
-- keyring or the vault, and this database keeps metadata only.

CREATE TABLE profiles (
    name            TEXT    NOT NULL PRIMARY KEY CHECK (name <> ''),
    secrets_backend TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
) STRICT;

-- The latest state of each step. values_json holds the non-secret answers.
CREATE TABLE step_state (
    profile      TEXT    NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
    integration  TEXT    NOT NULL CHECK (integration <> ''),
    step         TEXT    NOT NULL CHECK (step <> ''),
    status       TEXT    NOT NULL CHECK (status IN ('todo', 'done', 'needs_rerun')),
    proof        TEXT    NOT NULL DEFAULT '',
    values_json  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(values_json)),
    completed_at INTEGER,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (profile, integration, step)
) STRICT, WITHOUT ROWID;

-- Every run of a step, successful or not.
CREATE TABLE step_runs (
    id          INTEGER NOT NULL PRIMARY KEY,
    profile     TEXT    NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
    integration TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    proof       TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX step_runs_by_step ON step_runs (profile, integration, step, id);

-- Secret metadata. The previous_* columns keep the replaced secret during a
-- rotation until the admin confirms it was revoked; all three are set or
-- none is. last4 is capped so that a whole secret cannot land here by mistake.
CREATE TABLE secrets (
    profile             TEXT    NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
    integration         TEXT    NOT NULL CHECK (integration <> ''),
    key                 TEXT    NOT NULL CHECK (key <> ''),
    backend             TEXT    NOT NULL,
    last4               TEXT    NOT NULL DEFAULT '' CHECK (length(last4) <= 4),
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER,
    last_verified_at    INTEGER,
    status              TEXT    NOT NULL DEFAULT 'current',
    previous_last4      TEXT CHECK (length(previous_last4) <= 4),
    previous_created_at INTEGER,
    previous_backend    TEXT,
    PRIMARY KEY (profile, integration, key),
    CHECK ((previous_backend IS NULL) = (previous_created_at IS NULL)
       AND (previous_backend IS NULL) = (previous_last4 IS NULL))
) STRICT, WITHOUT ROWID;

-- The latest result of each live check.
CREATE TABLE check_results (
    profile     TEXT    NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
    integration TEXT    NOT NULL,
    name        TEXT    NOT NULL CHECK (name <> ''),
    result      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (profile, integration, name)
) STRICT, WITHOUT ROWID;

-- The audit log. AUTOINCREMENT keeps ids from ever being reused, so paging
-- with "before id N" stays stable while events are added.
CREATE TABLE events (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    profile     TEXT    NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
    integration TEXT    NOT NULL DEFAULT '',
    step        TEXT,
    kind        TEXT    NOT NULL CHECK (kind <> ''),
    summary     TEXT    NOT NULL,
    detail_json TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail_json))
) STRICT;
CREATE INDEX events_by_integration ON events (profile, integration, id);
CREATE INDEX events_by_profile ON events (profile, id);

-- Two-phase secret writes in flight. One operation per secret at a time: a
-- leftover row from a crash must be recovered before the secret is touched
-- again. meta_json carries non-secret data the recovery needs.
CREATE TABLE pending_ops (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    profile         TEXT    NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
    integration     TEXT    NOT NULL CHECK (integration <> ''),
    key             TEXT    NOT NULL CHECK (key <> ''),
    op              TEXT    NOT NULL CHECK (op IN ('set', 'rotate', 'delete')),
    staging_account TEXT    NOT NULL DEFAULT '',
    phase           TEXT    NOT NULL CHECK (phase <> ''),
    meta_json       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(meta_json)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (profile, integration, key)
) STRICT;
