-- Each database gets a random identity when created (or when first opened by
-- a patchbay that knows identities). The secrets of this database are filed
-- under it, so two databases never touch each other's keyring entries.
CREATE TABLE database_identity (
    only_row INTEGER NOT NULL PRIMARY KEY CHECK (only_row = 1),
    id       TEXT    NOT NULL CHECK (length(id) = 32)
) STRICT;
INSERT INTO database_identity (only_row, id) VALUES (1, lower(hex(randomblob(16))));

-- 1 while the profile's secrets still sit where earlier patchbay versions put
-- them (unscoped keyring entries, the shared secrets.age vault); patchbay
-- moves them under the database identity on first open and clears it.
ALTER TABLE profiles ADD COLUMN legacy_secrets INTEGER NOT NULL DEFAULT 0;
UPDATE profiles SET legacy_secrets = 1 WHERE EXISTS (SELECT 1 FROM secrets WHERE secrets.profile = profiles.name);

-- Keyed fingerprints (HMAC-SHA256 under a key kept in the secrets store,
-- never here) of the stored values, so a value changed outside patchbay is
-- noticed. NULL for values recorded before fingerprints existed.
ALTER TABLE secrets ADD COLUMN fingerprint TEXT;
ALTER TABLE secrets ADD COLUMN previous_fingerprint TEXT;

-- A pending operation may now also move a legacy secret under the identity.
CREATE TABLE pending_ops_new (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    profile         TEXT    NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,
    integration     TEXT    NOT NULL CHECK (integration <> ''),
    key             TEXT    NOT NULL CHECK (key <> ''),
    op              TEXT    NOT NULL CHECK (op IN ('set', 'rotate', 'delete', 'migrate')),
    staging_account TEXT    NOT NULL DEFAULT '',
    phase           TEXT    NOT NULL CHECK (phase <> ''),
    meta_json       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(meta_json)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (profile, integration, key)
) STRICT;
INSERT INTO pending_ops_new SELECT * FROM pending_ops;
DROP TABLE pending_ops;
ALTER TABLE pending_ops_new RENAME TO pending_ops;
