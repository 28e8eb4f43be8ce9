"""The append-only, hash-chained audit log: writer, verifier and readers."""

from clockodo_mcp.audit.log import (
    ENV_AUDIT_LOG,
    AuditLog,
    AuditRecord,
    AuditWriteError,
    default_audit_path,
    new_call_id,
    record_hash,
)
from clockodo_mcp.audit.readers import find_change, iter_records, iter_records_reversed, list_changes, tail
from clockodo_mcp.audit.redact import REDACTED, redact
from clockodo_mcp.audit.verify import VerifyResult, verify

__all__ = [
    "ENV_AUDIT_LOG",
    "REDACTED",
    "AuditLog",
    "AuditRecord",
    "AuditWriteError",
    "VerifyResult",
    "default_audit_path",
    "find_change",
    "iter_records",
    "iter_records_reversed",
    "list_changes",
    "new_call_id",
    "record_hash",
    "redact",
    "tail",
    "verify",
]
