"""Rename proposals: a new path for each file, how sure we are, and every conflict found
before anything moves.

A template without a folder (``{artist} - {title}``) renames a file where it is; a
template with folders (``{genre}/{artist} - {title}``) places it under the library root.

Fields come from the tags first, then analysis (``bpm``, ``key``, ``energy`` prefer the
analysis), then the file name (:func:`~.parse.parse_name`) for what is still missing. The
confidence starts at 1 and loses for every missing field (0.2; 0.35 for artist or
title), every field read from the name (0.1), a name shortened (0.1) or characters
replaced (0.05); a conflict sets it to 0. Each loss is a reason.

Conflicts (:func:`find_conflicts`): two proposals to one name; a name that exists on disk;
names that differ only in case or Unicode normalization (one file on macOS and Windows),
between proposals or with a file on disk; and targets outside the library root, which are
``rejected`` outright.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final
from uuid import UUID

from .parse import NamePattern, normalize_featuring, parse_name
from .sanitize import SanitizeOptions, fit_path, sanitize_parts, split_extension
from .template import FieldValue, KeyFormatter, Template, camelot_key_formatter

__all__ = [
    "SIDECAR_EXTENSIONS",
    "Proposal",
    "ProposalOptions",
    "ProposalStatus",
    "TrackInfo",
    "find_conflicts",
    "fold_name",
    "gather_fields",
    "plan_renames",
    "propose",
]

SIDECAR_EXTENSIONS: Final = frozenset({".cue", ".lrc", ".jpg", ".jpeg", ".png", ".nfo", ".txt"})
"""Files with an audio file's stem and one of these extensions travel with it."""

_ANALYSIS_FIRST: Final = frozenset({"bpm", "key", "energy"})
_MAIN_FIELDS: Final = frozenset({"artist", "title"})
_MIX_IN_TITLE = re.compile(
    r"\s*[(\[]([^()\[\]]*\b(?:mix|remix|rmx|edit|dub|version|rework|bootleg|vip|refix|flip)\b"
    r"[^()\[\]]*)[)\]]\s*$",
    re.IGNORECASE,
)


class ProposalStatus(StrEnum):
    """What may happen to a proposal."""

    READY = "ready"
    """Conflict-free: it can be applied."""
    UNCHANGED = "unchanged"
    """The file already has this name."""
    CONFLICT = "conflict"
    """It collides with another proposal or a file on disk (see ``conflict``)."""
    REJECTED = "rejected"
    """Its target is outside the library root: never applied."""


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """What is known about one file.

    Attributes:
        path: Its absolute path.
        tags: Tag values by field name (``artist``, ``title``, ``bpm``...).
        analysis: Analysis values by field name (``bpm``, ``key``, ``energy``).
        file_id: Its catalog file id, when it is in the catalog.
        recording_id: Its catalog recording, when known.
    """

    path: str
    tags: Mapping[str, FieldValue] = field(default_factory=dict)
    analysis: Mapping[str, FieldValue] = field(default_factory=dict)
    file_id: UUID | None = None
    recording_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class ProposalOptions:
    """How proposals are made.

    Attributes:
        sanitize: The file-system profile and limits.
        key_formatter: Writes keys in a notation (see :data:`~.template.KeyFormatter`).
        key_notation: The notation of a plain ``{key}``.
        patterns: Learned name patterns, tried first when reading names.
        sidecars: Move same-stem sidecar files (:data:`SIDECAR_EXTENSIONS`) along.
    """

    sanitize: SanitizeOptions = field(default_factory=SanitizeOptions)
    key_formatter: KeyFormatter = camelot_key_formatter
    key_notation: str = "camelot_sortable"
    patterns: Sequence[NamePattern] = ()
    sidecars: bool = False


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed rename.

    Attributes:
        old_path: The file's path now.
        new_path: The proposed path.
        template: The template's text.
        fields: The values it was filled with.
        confidence: 0 to 1.
        reasons: Why the confidence is below 1 (and the conflict, if any).
        status: See :class:`ProposalStatus`.
        conflict: What it collides with, for ``conflict`` and ``rejected``.
        sidecars: ``(old, new)`` paths of sidecar files moving with it.
        file_id: The catalog file, when known.
    """

    old_path: str
    new_path: str
    template: str
    fields: Mapping[str, FieldValue]
    confidence: float
    reasons: tuple[str, ...]
    status: ProposalStatus
    conflict: str | None = None
    sidecars: tuple[tuple[str, str], ...] = ()
    file_id: UUID | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (``old_path``, ``new_path``, ``confidence``,
        ``reasons``, ``conflict``, ``status``, ``template``, ``fields``, ``sidecars``)."""
        return {
            "old_path": self.old_path,
            "new_path": self.new_path,
            "confidence": round(self.confidence, 3),
            "reasons": list(self.reasons),
            "conflict": self.conflict,
            "status": self.status.value,
            "template": self.template,
            "fields": dict(self.fields),
            "sidecars": [list(pair) for pair in self.sidecars],
        }

    def with_conflict(
        self, conflict: str, status: ProposalStatus = ProposalStatus.CONFLICT
    ) -> Proposal:
        """This proposal marked as conflicting (confidence 0, the conflict as a reason)."""
        if self.status is ProposalStatus.REJECTED:
            return self
        return replace(
            self,
            status=status,
            conflict=conflict if self.conflict is None else self.conflict,
            confidence=0.0,
            reasons=(*self.reasons, f"conflict: {conflict}"),
        )


def gather_fields(
    info: TrackInfo, patterns: Sequence[NamePattern] = ()
) -> tuple[dict[str, FieldValue], frozenset[str]]:
    """The fields of a file and which of them were read from its name (see the module
    documentation for the order of sources)."""
    fields: dict[str, FieldValue] = {}
    for source in (info.tags, info.analysis):
        for key, value in source.items():
            if _present(value) and (key not in fields or key in _ANALYSIS_FIRST):
                fields[key] = value.strip() if isinstance(value, str) else value
    title = fields.get("title")
    if isinstance(title, str) and not _present(fields.get("mix")):
        found = _MIX_IN_TITLE.search(title)
        if found is not None and found.start() > 0:
            fields["mix"] = found.group(1).strip()
            fields["title"] = title[: found.start()].strip()
    for key in ("artist", "title"):
        value = fields.get(key)
        if isinstance(value, str):
            fields[key] = normalize_featuring(value)
    parsed = parse_name(info.path, patterns)
    from_name: set[str] = set()
    for key, value in parsed.fields.items():
        if key == "ext":
            continue
        if not _present(fields.get(key)) and _present(value):
            fields[key] = value
            from_name.add(key)
    _, ext = split_extension(os.path.basename(info.path))
    if ext:
        fields["ext"] = ext[1:].lower()
    return fields, frozenset(from_name)


def _present(value: FieldValue) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def propose(
    info: TrackInfo, template: Template, root: str, options: ProposalOptions | None = None
) -> Proposal:
    """One file's proposal, before conflicts with others are known (``ready``,
    ``unchanged`` or ``rejected``)."""
    options = options or ProposalOptions()
    fields, from_name = gather_fields(info, options.patterns)
    rendered = template.render(
        fields, key_formatter=options.key_formatter, key_notation=options.key_notation
    )
    parts = sanitize_parts(rendered.parts, options.sanitize)
    old_path = os.path.abspath(info.path)
    base = os.path.abspath(root) if len(parts) > 1 else os.path.dirname(old_path)
    reasons: list[str] = []
    confidence = 1.0
    for name in sorted(rendered.missing - {"ext"}):
        confidence -= 0.35 if name in _MAIN_FIELDS else 0.2
        reasons.append(f"missing tag: {name}")
    for name in sorted((rendered.used & from_name) - rendered.missing):
        confidence -= 0.1
        reasons.append(f"parsed from name: {name}")
    try:
        fitted = fit_path(base, parts, options.sanitize)
    except ValueError as exc:
        return Proposal(
            old_path, old_path, template.source, fields, 0.0, (*reasons, str(exc)),
            ProposalStatus.REJECTED, str(exc), (), info.file_id,
        )  # fmt: skip
    raw_bytes = [len(unicodedata.normalize("NFC", part).encode()) for part in rendered.parts]
    if fitted != parts or any(size > options.sanitize.max_name_bytes for size in raw_bytes):
        confidence -= 0.1
        reasons.append("name shortened to fit")
    elif tuple(unicodedata.normalize("NFC", part) for part in rendered.parts) != parts:
        confidence -= 0.05
        reasons.append("characters replaced for file-system safety")
    new_path = os.path.join(base, *fitted)
    proposal = Proposal(
        old_path,
        new_path,
        template.source,
        fields,
        max(0.0, min(1.0, round(confidence, 3))),
        tuple(reasons),
        ProposalStatus.UNCHANGED if new_path == old_path else ProposalStatus.READY,
        None,
        _sidecars(old_path, new_path) if options.sidecars else (),
        info.file_id,
    )
    if not _inside(root, new_path) or not _inside(root, old_path):
        where = new_path if not _inside(root, new_path) else old_path
        return proposal.with_conflict(
            f"{where!r} is outside the library root", ProposalStatus.REJECTED
        )
    return proposal


def _inside(root: str, path: str) -> bool:
    real_root = os.path.realpath(root)
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    return real != real_root and os.path.commonpath([real_root, real]) == real_root


def _sidecars(old_path: str, new_path: str) -> tuple[tuple[str, str], ...]:
    folder = os.path.dirname(old_path)
    stem, _ = os.path.splitext(os.path.basename(old_path))
    new_stem, _ = os.path.splitext(new_path)
    pairs: list[tuple[str, str]] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ()
    for name in names:
        side_stem, ext = os.path.splitext(name)
        if side_stem == stem and ext.lower() in SIDECAR_EXTENSIONS:
            pairs.append((os.path.join(folder, name), new_stem + ext))
    return tuple(pairs)


def fold_name(path: str) -> str:
    """``path`` as case-insensitive, normalization-insensitive file systems compare it
    (macOS APFS/HFS+, Windows NTFS): case-folded and NFC."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", path).casefold())


def find_conflicts(proposals: Sequence[Proposal]) -> list[Proposal]:
    """``proposals`` with every conflict marked (see the module documentation). Sidecar
    targets are checked like the files' own."""
    result = list(proposals)
    active = [i for i, p in enumerate(result) if p.status is ProposalStatus.READY]
    targets: dict[str, list[int]] = defaultdict(list)
    folded: dict[str, set[str]] = defaultdict(set)
    for i in active:
        for target in _targets(result[i]):
            targets[target].append(i)
            folded[fold_name(target)].add(target)
    listings: dict[str, dict[str, str]] = {}
    for i in active:
        proposal = result[i]
        for old, target in ((proposal.old_path, proposal.new_path), *proposal.sidecars):
            if len(targets[target]) > 1:
                others = [result[j].old_path for j in targets[target] if j != i]
                result[i] = result[i].with_conflict(
                    f"{target!r} is also proposed for {others[0]!r}"
                )
            elif len(folded[fold_name(target)]) > 1:
                twin = sorted(folded[fold_name(target)] - {target})[0]
                result[i] = result[i].with_conflict(
                    f"{target!r} and {twin!r} differ only in case or Unicode normalization"
                )
            elif os.path.lexists(target) and not _same_file(old, target):
                result[i] = result[i].with_conflict(f"{target!r} exists on disk")
            elif os.path.lexists(target):
                result[i] = result[i].with_conflict(
                    f"{target!r} is this file under another case (case-insensitive file system)"
                )
            else:
                on_disk = _disk_twin(target, old, listings)
                if on_disk is not None:
                    result[i] = result[i].with_conflict(
                        f"{target!r} differs only in case or Unicode normalization from "
                        f"{on_disk!r} on disk"
                    )
    return result


def _targets(proposal: Proposal) -> list[str]:
    return [proposal.new_path, *(new for _, new in proposal.sidecars)]


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _disk_twin(target: str, source: str, listings: dict[str, dict[str, str]]) -> str | None:
    folder = os.path.dirname(target)
    if folder not in listings:
        try:
            names = os.listdir(folder)
        except OSError:
            names = []
        listings[folder] = {fold_name(name): os.path.join(folder, name) for name in names}
    twin = listings[folder].get(fold_name(os.path.basename(target)))
    return None if twin is None or twin == source else twin


def plan_renames(
    infos: Sequence[TrackInfo],
    template: Template,
    root: str,
    options: ProposalOptions | None = None,
) -> list[Proposal]:
    """Proposals for ``infos`` with their conflicts, in input order."""
    return find_conflicts([propose(info, template, root, options) for info in infos])
