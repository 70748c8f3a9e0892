from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from tracktion.core.rename import (
    ProposalOptions,
    ProposalStatus,
    SanitizeOptions,
    TrackInfo,
    plan_renames,
    resolve_template,
)

TEMPLATE = resolve_template("artist-title-mix")


def info(path: Path, **tags: str) -> TrackInfo:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" + str(path).encode())
    return TrackInfo(str(path), tags=dict(tags))


def test_a_tagged_file_gets_a_confident_proposal(tmp_path: Path) -> None:
    track = info(tmp_path / "a.mp3", artist="Daft Punk", title="Da Funk (Original Mix)")
    [proposal] = plan_renames([track], TEMPLATE, str(tmp_path))
    assert proposal.status is ProposalStatus.READY
    assert proposal.new_path == str(tmp_path / "Daft Punk - Da Funk (Original Mix).mp3")
    assert proposal.confidence == 1.0
    assert proposal.reasons == ()
    assert proposal.to_dict()["conflict"] is None


def test_missing_tags_and_parsed_names_lower_the_confidence(tmp_path: Path) -> None:
    parsed = info(tmp_path / "01 - Artist - Title.mp3")
    nothing = info(tmp_path / "zzz.mp3")
    first, second = plan_renames([parsed, nothing], TEMPLATE, str(tmp_path))
    assert first.new_path.endswith("Artist - Title.mp3")
    assert "parsed from name: artist" in first.reasons
    assert first.confidence < 1
    assert "missing tag: artist" in second.reasons
    assert second.confidence < first.confidence
    assert second.new_path.endswith("zzz.mp3")
    assert second.status is ProposalStatus.UNCHANGED


def test_conflicts_are_found_before_anything_moves(tmp_path: Path) -> None:
    one = info(tmp_path / "1.mp3", artist="A", title="T")
    two = info(tmp_path / "2.mp3", artist="A", title="T")
    case = info(tmp_path / "3.mp3", artist="B", title="t")
    case2 = info(tmp_path / "4.mp3", artist="b", title="T")
    nfd = info(tmp_path / "5.mp3", artist=unicodedata.normalize("NFD", "Café"), title="X")
    (tmp_path / "Exists - Here.mp3").write_bytes(b"other")
    exists = info(tmp_path / "6.mp3", artist="Exists", title="Here")
    (tmp_path / "Café - Y.mp3").write_bytes(b"other")
    disk_case = info(tmp_path / "7.mp3", artist="CAFÉ", title="y")
    proposals = plan_renames(
        [one, two, case, case2, nfd, exists, disk_case], TEMPLATE, str(tmp_path)
    )
    by_old = {os.path.basename(p.old_path): p for p in proposals}
    assert by_old["1.mp3"].status is ProposalStatus.CONFLICT
    assert "also proposed" in (by_old["2.mp3"].conflict or "")
    assert "only in case" in (by_old["3.mp3"].conflict or "")
    assert "only in case" in (by_old["4.mp3"].conflict or "")
    assert by_old["5.mp3"].status is ProposalStatus.READY  # NFC: one name, no twin
    assert by_old["5.mp3"].new_path.endswith(unicodedata.normalize("NFC", "Café - X.mp3"))
    assert "exists on disk" in (by_old["6.mp3"].conflict or "")
    assert "on disk" in (by_old["7.mp3"].conflict or "")
    assert all(p.confidence == 0 for p in proposals if p.status is ProposalStatus.CONFLICT)
    assert any(r.startswith("conflict:") for r in by_old["6.mp3"].reasons)


def test_targets_outside_the_root_are_rejected(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    outside = tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "Escape").symlink_to(outside)
    track = info(root / "a.mp3", genre="Escape", artist="A", title="T")
    [proposal] = plan_renames([track], resolve_template("genre-folder"), str(root))
    assert proposal.status is ProposalStatus.REJECTED
    assert "outside the library root" in (proposal.conflict or "")


def test_folders_sidecars_and_hostile_tags(tmp_path: Path) -> None:
    track = info(tmp_path / "in" / "a.mp3", genre="../../etc", artist="CON", title="x/y" * 400)
    (tmp_path / "in" / "a.cue").write_text("cue")
    (tmp_path / "in" / "a.LRC").write_text("lrc")
    options = ProposalOptions(sidecars=True, sanitize=SanitizeOptions(max_path_chars=260))
    [proposal] = plan_renames([track], resolve_template("genre-folder"), str(tmp_path), options)
    assert proposal.status is ProposalStatus.READY
    relative = os.path.relpath(proposal.new_path, tmp_path)
    folder, name = relative.split(os.sep)
    assert folder == "-..-etc"
    assert name.startswith("CON - x-yx-y")
    assert len(proposal.new_path) <= 260
    assert "name shortened to fit" in proposal.reasons
    stem = os.path.splitext(proposal.new_path)[0]
    assert {new for _, new in proposal.sidecars} == {stem + ".cue", stem + ".LRC"}
