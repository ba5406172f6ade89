-- Studies, their consent texts (per version and language), invitation codes, participants,
-- the records (partitioned by day), and the receipts of deletions.
CREATE TABLE studies (
    id text PRIMARY KEY,
    title jsonb NOT NULL,                 -- {"en": ..., "zh-CN": ...}
    fields text[] NOT NULL,               -- the raw fields the study asks for
    retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
    starts timestamptz NOT NULL,
    ends timestamptz NOT NULL,
    upload_interval integer NOT NULL CHECK (upload_interval >= 1),
    current_version text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    CHECK (ends > starts)
);

CREATE TABLE consent_texts (
    study_id text NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    version text NOT NULL,
    language text NOT NULL,
    text text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (study_id, version, language)
);

-- Only a hash of each code: a copy of the database gives no unused code away.
CREATE TABLE invitations (
    code_hash bytea PRIMARY KEY,
    study_id text NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    created timestamptz NOT NULL DEFAULT now(),
    used timestamptz,
    participant text
);

CREATE TABLE participants (
    study_id text NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    id text NOT NULL,
    key bytea NOT NULL,                   -- signs this participant's uploads (HMAC-SHA256)
    consent_version text NOT NULL,
    fields text[] NOT NULL,               -- the raw fields this participant agreed to
    language text NOT NULL,
    enrolled timestamptz NOT NULL DEFAULT now(),
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'withdrawn')),
    state_changed timestamptz NOT NULL DEFAULT now(),
    last_upload timestamptz,
    uploads bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (study_id, id)
);

-- One row per feed item, the columns of the export's data dictionary. The primary key makes
-- an upload idempotent (a record sent twice is taken once); it includes the partition key.
CREATE TABLE records (
    study_id text NOT NULL,
    participant text NOT NULL,
    record_id bigint NOT NULL,
    day date NOT NULL,
    schema_version integer NOT NULL,
    consent_version text NOT NULL,
    time double precision NOT NULL,
    response_id bigint,
    platform text, endpoint text, surface text, position integer, kind text,
    format text, relation text, provenance text, reason_category text, pack text,
    decision text, item_pid text, author_pid text,
    title text, text text, author_name text, url text, reason_text text,
    received timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (study_id, participant, record_id, day)
) PARTITION BY RANGE (day);

CREATE INDEX records_composition ON records (study_id, day, platform, provenance);

CREATE TABLE receipts (
    id text PRIMARY KEY,
    study_id text NOT NULL,
    participant text NOT NULL,
    action text NOT NULL CHECK (action IN ('withdraw', 'delete', 'expire')),
    since double precision,
    until double precision,
    deleted bigint NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
);
