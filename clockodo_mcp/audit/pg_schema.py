"""The audit chain's tables in a PostgreSQL store: created by the store's first migration (`store/postgres.py`).

Records are appended under a row lock on their log's head (`audit_heads`), so replicas writing at once still form
one chain. `audit_records` is append-only: a trigger refuses UPDATE, DELETE and TRUNCATE for every role, the owner
included. Someone who disables the trigger (a superuser can) still cannot forge a record without the audit key:
`audit verify` recomputes every HMAC and link.
"""

from __future__ import annotations

AUDIT_SCHEMA: tuple[str, ...] = (
    """
    CREATE TABLE audit_records (
        log TEXT NOT NULL,
        seq BIGINT NOT NULL CHECK (seq > 0),
        ts TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        record TEXT NOT NULL,
        principal TEXT,
        PRIMARY KEY (log, seq)
    )
    """,
    """
    CREATE TABLE audit_heads (
        log TEXT PRIMARY KEY,
        seq BIGINT NOT NULL CHECK (seq >= 0),
        hash TEXT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
    )
    """,
    """
    CREATE FUNCTION clockodo_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only: % on audit_records is refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
        FOR EACH ROW EXECUTE FUNCTION clockodo_audit_append_only()
    """,
    """
    CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
        FOR EACH STATEMENT EXECUTE FUNCTION clockodo_audit_append_only()
    """,
)
