-- Participation over time for the researcher's view: every change of a participant's state
-- (enrolled active, paused, resumed, withdrawn) and the uploads per participant and UTC day.
-- Triggers keep both, so every path that changes a participant (enrolment, pause, withdrawal,
-- an upload) is counted without the code having to remember to.
CREATE TABLE participant_events (
    study_id text NOT NULL,
    participant text NOT NULL,
    state text NOT NULL CHECK (state IN ('active', 'paused', 'withdrawn')),
    at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (study_id, participant) REFERENCES participants (study_id, id) ON DELETE CASCADE
);
CREATE INDEX participant_events_study ON participant_events (study_id, at);

CREATE TABLE upload_days (
    study_id text NOT NULL,
    day date NOT NULL,
    participant text NOT NULL,
    uploads bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (study_id, day, participant),
    FOREIGN KEY (study_id, participant) REFERENCES participants (study_id, id) ON DELETE CASCADE
);

-- What the participants table already knows, for servers that ran before this migration.
INSERT INTO participant_events (study_id, participant, state, at)
    SELECT study_id, id, 'active', enrolled FROM participants;
INSERT INTO participant_events (study_id, participant, state, at)
    SELECT study_id, id, state, state_changed FROM participants WHERE state <> 'active';
INSERT INTO upload_days (study_id, day, participant, uploads)
    SELECT study_id, (last_upload AT TIME ZONE 'UTC')::date, id, uploads
    FROM participants WHERE last_upload IS NOT NULL;

CREATE FUNCTION participation_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO participant_events (study_id, participant, state, at)
            VALUES (NEW.study_id, NEW.id, NEW.state, NEW.enrolled);
        RETURN NEW;
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state THEN
        INSERT INTO participant_events (study_id, participant, state)
            VALUES (NEW.study_id, NEW.id, NEW.state);
    END IF;
    IF NEW.uploads > OLD.uploads THEN
        INSERT INTO upload_days AS u (study_id, day, participant, uploads)
            VALUES (NEW.study_id, (now() AT TIME ZONE 'UTC')::date, NEW.id, NEW.uploads - OLD.uploads)
            ON CONFLICT (study_id, day, participant)
            DO UPDATE SET uploads = u.uploads + EXCLUDED.uploads;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER participants_log AFTER INSERT OR UPDATE ON participants
    FOR EACH ROW EXECUTE FUNCTION participation_log();
