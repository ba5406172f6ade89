-- The switch audit's condition of each record (export schema 5): 'on' or 'off' when the item
-- was logged inside one of the participant's audit sessions of its platform, else NULL. Only
-- filled when the participant consented to the field (records.py refuses it otherwise).
ALTER TABLE records ADD COLUMN audit_condition text
    CHECK (audit_condition IN ('on', 'off'));

-- The pooled audit (view_audit.py) reads only the records that carry a condition.
CREATE INDEX records_audit ON records (study_id, platform, audit_condition)
    WHERE audit_condition IS NOT NULL;
