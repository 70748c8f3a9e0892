"""Renaming music files: templates, safe names, parsing names, pattern analysis,
proposals with conflicts, a crash-safe journaled applier with undo, and feedback.

::

    from tracktion.core.rename import Applier, FileJournal, Move, TrackInfo, plan_renames
    from tracktion.core.rename import resolve_template

    proposals = plan_renames(infos, resolve_template("artist-title-mix"), root)
    ready = [p for p in proposals if p.status == "ready"]
    applier = Applier(FileJournal(root + "/.tracktion-journal"), root)
    await applier.recover()                       # settle a batch a crash interrupted
    batch = await applier.apply([Move(p.old_path, p.new_path) for p in ready])
    await applier.undo(batch.batch_id)            # the exact previous tree
"""

from .apply import Applier, BatchResult, Hook, Move
from .errors import (
    RecoveryError,
    RenameApplyError,
    RenameError,
    TemplateSyntaxError,
    UnsafeTargetError,
)
from .feedback import FeedbackRecord, TemplateScore, learned_patterns, rank_templates
from .journal import CatalogJournal, FileJournal, Journal, is_folder_step
from .moves import MoveMethod, fsync_directory, move_no_replace, renameat2_available
from .parse import (
    BUILTIN_PATTERNS,
    NamePattern,
    ParsedName,
    learn_pattern,
    normalize_featuring,
    parse_name,
)
from .patterns import PatternGroup, PatternReport, analyze_names
from .proposals import (
    SIDECAR_EXTENSIONS,
    Proposal,
    ProposalOptions,
    ProposalStatus,
    TrackInfo,
    find_conflicts,
    fold_name,
    gather_fields,
    plan_renames,
    propose,
)
from .sanitize import (
    MAX_NAME_BYTES,
    WINDOWS_MAX_PATH,
    SanitizeOptions,
    SanitizeProfile,
    fit_path,
    is_reserved_name,
    sanitize_name,
    sanitize_parts,
    split_extension,
    truncate_name,
)
from .template import (
    FIELDS,
    PRESETS,
    FieldValue,
    KeyFormatter,
    Rendered,
    Template,
    asciify,
    camelot_key_formatter,
    resolve_template,
)

__all__ = [
    "BUILTIN_PATTERNS",
    "FIELDS",
    "MAX_NAME_BYTES",
    "PRESETS",
    "SIDECAR_EXTENSIONS",
    "WINDOWS_MAX_PATH",
    "Applier",
    "BatchResult",
    "CatalogJournal",
    "FeedbackRecord",
    "FieldValue",
    "FileJournal",
    "Hook",
    "Journal",
    "KeyFormatter",
    "Move",
    "MoveMethod",
    "NamePattern",
    "ParsedName",
    "PatternGroup",
    "PatternReport",
    "Proposal",
    "ProposalOptions",
    "ProposalStatus",
    "RecoveryError",
    "RenameApplyError",
    "RenameError",
    "Rendered",
    "SanitizeOptions",
    "SanitizeProfile",
    "Template",
    "TemplateScore",
    "TemplateSyntaxError",
    "TrackInfo",
    "UnsafeTargetError",
    "analyze_names",
    "asciify",
    "camelot_key_formatter",
    "find_conflicts",
    "fit_path",
    "fold_name",
    "fsync_directory",
    "gather_fields",
    "is_folder_step",
    "is_reserved_name",
    "learn_pattern",
    "learned_patterns",
    "move_no_replace",
    "normalize_featuring",
    "parse_name",
    "plan_renames",
    "propose",
    "rank_templates",
    "renameat2_available",
    "resolve_template",
    "sanitize_name",
    "sanitize_parts",
    "split_extension",
    "truncate_name",
]
