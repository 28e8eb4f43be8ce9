"""The append-only, keyed, hash-chained audit log: writer, verifier, repair and readers."""

from clockodo_mcp.audit.keys import ENV_AUDIT_KEY, AuditKey, AuditKeyError, key_path, load_key
from clockodo_mcp.audit.log import (
    ENV_AUDIT_LOG,
    FORMAT_VERSION,
    AnchorStore,
    AuditLog,
    AuditLogDamaged,
    AuditRecord,
    AuditSink,
    AuditUnreachable,
    AuditWriteError,
    default_audit_path,
    log_id,
    new_call_id,
    record_hash,
)
from clockodo_mcp.audit.readers import find_change, iter_records, iter_records_reversed, list_changes, tail
from clockodo_mcp.audit.redact import REDACTED, redact
from clockodo_mcp.audit.repair import RepairOutcome, RepairRefused, repair
from clockodo_mcp.audit.verify import VerifyResult, verify

__all__ = [
    "ENV_AUDIT_KEY",
    "ENV_AUDIT_LOG",
    "FORMAT_VERSION",
    "REDACTED",
    "AnchorStore",
    "AuditKey",
    "AuditKeyError",
    "AuditLog",
    "AuditLogDamaged",
    "AuditRecord",
    "AuditSink",
    "AuditUnreachable",
    "AuditWriteError",
    "RepairOutcome",
    "RepairRefused",
    "VerifyResult",
    "default_audit_path",
    "find_change",
    "iter_records",
    "iter_records_reversed",
    "key_path",
    "list_changes",
    "load_key",
    "log_id",
    "new_call_id",
    "record_hash",
    "redact",
    "repair",
    "tail",
    "verify",
]
