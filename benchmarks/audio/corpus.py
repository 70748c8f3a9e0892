"""Generate the evaluation corpus: rendered audio with known tempo and key, and its manifest.

    python -m benchmarks.audio.corpus [--tracks-per-genre 16] [--folk-songs 60]
        [--hymns 40] [--florid-hymns 40] [--chorales 40] [--seed 0] [--jobs N]
        [--mix-minutes 60] [--all-formats]
        [--out benchmarks/audio/corpus]

Run it from the repository root in the benchmark environment (``benchmarks/audio/run.sh``
makes it); it needs ``fluidsynth``, ``ffmpeg`` and Debian's ``fluid-soundfont-gm``.

Five sets:

- ``synthetic``: pieces composed by ``compose.py`` for each of seven DJ genres, with the
  variants ``intro`` (drums only at the start), ``detune`` (20-40 cents) and ``noise``
  (pink noise at 15-25 dB SNR, added after rendering);
- ``folk``: folk songs from music21's corpus (``folk.py``), rendered the same way, with no
  variants: the real set is kept as it is;
- ``hymns``: four-part homophonic pieces composed by ``hymns.py`` on organ, choir,
  strings, piano or harpsichord: sustained polyphony to tune on, so that the chorales
  can stay untouched;
- ``florid``: the same hymns in the texture of Bach's harmonizations (ties, suspensions,
  passing notes in every voice), whose rendered choirs have few onsets that stand out;
- ``chorales``: Bach chorales from music21's corpus (``chorales.py``), the held-out set
  that ``evaluate.py`` scores only with ``--held-out``.

Every piece is written as MIDI, rendered by FluidSynth at 44.1 kHz, peak-normalised to
-1 dBFS and encoded with ffmpeg into one of the formats tracktion supports
(``tracktion.core.formats``), following ``FORMAT_CYCLE``: each set holds every format,
weighted as DJ libraries are (``--all-formats`` encodes every piece into every format).
A long mix of synthetic tracks with crossfades (``--mix-minutes``, FLAC and MP3) serves
the peak-memory measurement.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf
from numpy.typing import NDArray

from benchmarks.audio.compose import GENRES, Composition, compose, write_midi
from benchmarks.audio.manifest import (
    CHORALES,
    FLORID,
    FOLK,
    HYMNS,
    SYNTHETIC,
    Manifest,
    Mix,
    Track,
)
from benchmarks.audio.scoring import parse_key

__all__ = ["ENCODERS", "FORMAT_CYCLE", "decode", "find_soundfont", "main", "supported_formats"]

SAMPLE_RATE = 44_100
DEFAULT_OUT = Path(__file__).resolve().parent / "corpus"

ENCODERS: dict[str, tuple[str, ...]] = {
    # file_type (tracktion.core.formats) -> ffmpeg output arguments. Bit rates are those
    # of DJ libraries: 320k MP3, 256k AAC, high-quality Vorbis and Opus.
    "mp3": ("-c:a", "libmp3lame", "-b:a", "320k"),
    "flac": ("-c:a", "flac"),
    "wav": ("-c:a", "pcm_s16le"),
    "aiff": ("-c:a", "pcm_s16be"),
    "m4a": ("-c:a", "aac", "-b:a", "256k"),
    "mp4": ("-c:a", "aac", "-b:a", "256k"),
    "alac": ("-c:a", "alac", "-f", "ipod"),  # Apple Lossless in an MP4 container
    "ogg": ("-c:a", "libvorbis", "-q:a", "6"),
    "opus": ("-c:a", "libopus", "-b:a", "160k"),
    "wma": ("-c:a", "wmav2", "-b:a", "192k"),
    "aac": ("-c:a", "aac", "-b:a", "256k", "-f", "adts"),  # raw AAC (ADTS)
}

FORMAT_CYCLE = (
    "mp3", "flac", "m4a", "wav", "mp3", "aiff", "ogg", "m4a",
    "alac", "mp3", "opus", "flac", "aac", "mp4", "wma",
)  # fmt: skip
"""Formats assigned to consecutive pieces: every supported type, weighted towards what
DJ libraries hold most (MP3 3x, AAC in M4A 2x, FLAC 2x), mixed so that neighbours differ."""


def supported_formats() -> dict[str, str]:
    """Every file type tracktion supports, with the extension the corpus gives it.

    Read from ``tracktion.core.formats`` so that a format added there is encoded here too
    (or stops the generator until it has an encoder).
    """
    from tracktion.core.formats import AUDIO_FORMATS

    formats: dict[str, str] = {}
    for fmt in AUDIO_FORMATS:
        formats.setdefault(fmt.file_type, fmt.extension)
    missing = sorted(set(formats) - set(ENCODERS))
    if missing:
        raise SystemExit(f"no encoder for supported formats {missing}: add them to ENCODERS")
    return formats


VARIANT_SHARE = {"intro": 0.35, "detune": 0.3, "noise": 0.3}
"""Probability of each variant for a synthetic track, drawn independently."""
SNR_RANGE_DB = (15.0, 25.0)
PEAK_DBFS = -1.0
SILENCE_DBFS = -60.0
"""The synth's release tail below this level is cut from the end."""
SOUNDFONT_PACKAGE = "fluid-soundfont-gm"


@dataclass(frozen=True, slots=True)
class Job:
    """One piece to render: its composition and what the manifest will say about it."""

    id: str
    set: str
    composition: Composition
    formats: tuple[str, ...]
    variants: tuple[str, ...]
    snr_db: float | None
    seed: int
    source: str
    key_source: str


def find_soundfont(explicit: Path | None = None) -> Path:
    """The General MIDI soundfont: ``explicit``, else the one Debian's package installs.

    The package's file list (``dpkg -L``) is asked first so that no path is assumed; the
    directories Debian puts soundfonts in are the fallback on systems without dpkg.
    """
    if explicit is not None:
        return explicit
    if shutil.which("dpkg"):
        listing = subprocess.run(
            ["dpkg", "-L", SOUNDFONT_PACKAGE], capture_output=True, text=True, check=False
        )
        fonts = sorted(
            Path(line) for line in listing.stdout.splitlines() if line.lower().endswith(".sf2")
        )
        fonts = [font for font in fonts if font.is_file()]
        if fonts:
            return fonts[0]
    for directory in (Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts")):
        fonts = sorted(directory.glob("*.sf2")) if directory.is_dir() else []
        if fonts:
            return fonts[0]
    raise SystemExit(
        f"no General MIDI soundfont: install Debian's {SOUNDFONT_PACKAGE} "
        "(apt-get install fluid-soundfont-gm) or pass --soundfont"
    )


def _tool_version(command: Sequence[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (result.stdout or result.stderr).splitlines()
    return lines[0].strip() if lines else "unknown"


def _package_version(package: str) -> str:
    if not shutil.which("dpkg-query"):
        return "unknown"
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


# --------------------------------------------------------------------------- rendering


def render(composition: Composition, midi_path: Path, soundfont: Path) -> NDArray[np.float32]:
    """Write the MIDI file and render it with FluidSynth: float32 samples, shape (n, 2)."""
    write_midi(composition, midi_path)
    with tempfile.TemporaryDirectory(prefix="tracktion-corpus-") as tmp:
        wav = Path(tmp) / "render.wav"
        # -n no MIDI input, -i no shell, -q quiet, -F render to a file as fast as possible;
        # float output so that loud passages cannot clip before normalisation.
        command = [
            "fluidsynth",
            "-niq",
            "-g", "0.5",
            "-r", str(SAMPLE_RATE),
            "-T", "wav",
            "-O", "float",
            "-F", str(wav),
            str(soundfont),
            str(midi_path),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        audio, rate = sf.read(wav, dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise RuntimeError(f"fluidsynth rendered {rate} Hz, asked for {SAMPLE_RATE}")
    return np.asarray(audio, dtype=np.float32)


def trim_tail(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """Cut the release tail once it is below ``SILENCE_DBFS``."""
    loud = np.flatnonzero(np.abs(audio).max(axis=1) > 10 ** (SILENCE_DBFS / 20))
    return audio[: loud[-1] + 1] if loud.size else audio


def normalize(audio: NDArray[np.float32], peak_dbfs: float = PEAK_DBFS) -> NDArray[np.float32]:
    peak = float(np.abs(audio).max())
    if peak == 0.0:
        return audio
    return (audio * (10 ** (peak_dbfs / 20) / peak)).astype(np.float32)


# A 3-pole, 3-zero filter whose response follows 1/f within 0.5 dB across the audio band
# at 44.1 kHz (J. O. Smith, "Spectral Audio Signal Processing", pink noise example): white
# noise through it is pink noise, in one linear pass instead of a track-long FFT.
PINK_B = (0.049922035, -0.095993537, 0.050612699, -0.004408786)
PINK_A = (1.0, -2.494956002, 2.017265875, -0.522189400)


def pink_noise(frames: int, channels: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """Pink (1/f power) noise of unit RMS, shape (frames, channels)."""
    white = rng.standard_normal((frames, channels))
    noise: NDArray[np.float64] = scipy.signal.lfilter(PINK_B, PINK_A, white, axis=0)
    rms = float(np.sqrt(np.mean(noise**2)))
    return (noise / rms).astype(np.float32)


def add_noise(audio: NDArray[np.float32], snr_db: float, seed: int) -> NDArray[np.float32]:
    """``audio`` plus pink noise at ``snr_db`` below its mean power over the whole track."""
    signal_rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    noise = pink_noise(audio.shape[0], audio.shape[1], np.random.default_rng(seed))
    return audio + noise * np.float32(signal_rms * 10 ** (-snr_db / 20))


def encode(wav: Path, target: Path, fmt: str) -> None:
    """Encode a 16-bit WAV master into file type ``fmt`` with ffmpeg, without metadata."""
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-i", str(wav),
        "-map_metadata", "-1",
        # No encoder version tag: the same input gives the same bytes on every run.
        "-fflags", "+bitexact", "-flags:a", "+bitexact",
        *ENCODERS[fmt],
        str(target),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)


def produce(job: Job, out_dir: Path, soundfont: Path, extensions: dict[str, str]) -> list[Track]:
    """Render, post-process and encode one job; one manifest track per format."""
    audio = trim_tail(render(job.composition, out_dir / "midi" / f"{job.id}.mid", soundfont))
    audio = normalize(audio)
    if job.snr_db is not None:
        audio = normalize(add_noise(audio, job.snr_db, job.seed))
    duration_s = audio.shape[0] / SAMPLE_RATE
    tracks = []
    with tempfile.TemporaryDirectory(prefix="tracktion-corpus-") as tmp:
        master = Path(tmp) / "master.wav"
        sf.write(master, audio, SAMPLE_RATE, subtype="PCM_16")
        for fmt in job.formats:
            stem = job.id if len(job.formats) == 1 else f"{job.id}-{fmt}"
            name = f"{stem}{extensions[fmt]}"
            encode(master, out_dir / "audio" / name, fmt)
            composition = job.composition
            tracks.append(
                Track(
                    id=stem,
                    set=job.set,
                    genre=composition.genre,
                    path=f"audio/{name}",
                    format=fmt,
                    bpm=composition.bpm,
                    key=composition.key,
                    duration_s=round(duration_s, 3),
                    variants=job.variants,
                    intro_bars=composition.intro_bars,
                    detune_cents=composition.detune_cents if "detune" in job.variants else None,
                    snr_db=job.snr_db,
                    seed=job.seed,
                    source=job.source,
                    key_source=job.key_source,
                    program=composition.harmony_program,
                )
            )
    return tracks


# --------------------------------------------------------------------------- the jobs


def _slug(name: str) -> str:
    return name.replace(" ", "-")


def _formats(index: int, all_formats: tuple[str, ...] | None) -> tuple[str, ...]:
    return all_formats or (FORMAT_CYCLE[index % len(FORMAT_CYCLE)],)


def synthetic_jobs(
    tracks_per_genre: int, seed: int, all_formats: tuple[str, ...] | None
) -> list[Job]:
    jobs = []
    for genre_index, genre in enumerate(GENRES):
        for index in range(tracks_per_genre):
            track_seed = seed * 100_000 + index
            rng = random.Random(f"variants:{genre}:{track_seed}")
            variants = tuple(name for name, share in VARIANT_SHARE.items() if rng.random() < share)
            snr_db = round(rng.uniform(*SNR_RANGE_DB), 1) if "noise" in variants else None
            composition = compose(
                genre, track_seed, intro="intro" in variants, detune="detune" in variants
            )
            jobs.append(
                Job(
                    id=f"{_slug(genre)}-{index:03d}",
                    set=SYNTHETIC,
                    composition=composition,
                    formats=_formats(genre_index * tracks_per_genre + index, all_formats),
                    variants=variants,
                    snr_db=snr_db,
                    seed=track_seed,
                    source="compose.py",
                    key_source="composed",
                )
            )
    return jobs


def folk_jobs(
    count: int, seed: int, all_formats: tuple[str, ...] | None
) -> tuple[list[Job], dict[str, object]]:
    from benchmarks.audio.folk import choose_folk_songs

    songs, skipped = choose_folk_songs(count, seed)
    jobs = [
        Job(
            id=f"folk-{index:03d}",
            set=FOLK,
            composition=song.composition,
            formats=_formats(index, all_formats),
            variants=(),
            snr_db=None,
            seed=seed,
            source=song.source,
            key_source=song.key_source,
        )
        for index, song in enumerate(songs)
    ]
    agree = sum(parse_key(s.music21_key) == parse_key(s.composition.key) for s in songs)
    info: dict[str, object] = {
        "songs": len(songs),
        "skipped": skipped,
        "key_sources": dict(Counter(song.key_source for song in songs)),
        "music21_analysis_agrees": agree,
    }
    return jobs, info


def hymn_jobs(
    count: int, seed: int, all_formats: tuple[str, ...] | None, *, florid: bool = False
) -> list[Job]:
    from benchmarks.audio.hymns import compose_hymn

    return [
        Job(
            id=f"{'florid' if florid else 'hymn'}-{index:03d}",
            set=FLORID if florid else HYMNS,
            composition=compose_hymn(seed * 1000 + index, florid=florid),
            formats=_formats(index, all_formats),
            variants=(),
            snr_db=None,
            seed=seed * 1000 + index,
            source="hymns.py",
            key_source="composed",
        )
        for index in range(count)
    ]


def chorale_jobs(
    count: int, seed: int, all_formats: tuple[str, ...] | None
) -> tuple[list[Job], dict[str, object]]:
    from benchmarks.audio.chorales import choose_chorales

    chorales, skipped = choose_chorales(count, seed)
    jobs = [
        Job(
            id=f"chorale-{index:03d}",
            set=CHORALES,
            composition=chorale.composition,
            formats=_formats(index, all_formats),
            variants=(),
            snr_db=None,
            seed=seed,
            source=chorale.source,
            key_source=chorale.key_source,
        )
        for index, chorale in enumerate(chorales)
    ]
    agree = sum(parse_key(c.music21_key) == parse_key(c.composition.key) for c in chorales)
    info: dict[str, object] = {
        "chorales": len(chorales),
        "skipped": skipped,
        "music21_analysis_agrees": agree,
    }
    return jobs, info


# --------------------------------------------------------------------------- the mix


def decode(path: Path, sample_rate: int = SAMPLE_RATE) -> NDArray[np.float32]:
    """Any corpus file as float32 stereo at ``sample_rate``, through ffmpeg (shape (n, 2))."""
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
        "-i", str(path), "-f", "f32le", "-ac", "2", "-ar", str(sample_rate), "-",
    ]  # fmt: skip
    raw: bytes = subprocess.run(command, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, 2)


def _cycle(items: Sequence[Track], seed: int) -> Iterator[Track]:
    rng = random.Random(f"mix:{seed}")
    while True:
        order = list(items)
        rng.shuffle(order)
        yield from order


def build_mix(
    tracks: Sequence[Track], out_dir: Path, minutes: float, seed: int, crossfade_s: float = 8.0
) -> list[Mix]:
    """A ``minutes`` long mix of ``tracks`` with equal-power crossfades, as FLAC and MP3.

    Written block by block (one track in memory at a time), so that making an hour of
    audio needs no more memory than analysing it is allowed to.
    """
    target = round(minutes * 60 * SAMPLE_RATE)
    fade = round(crossfade_s * SAMPLE_RATE)
    ramp = np.linspace(0.0, np.pi / 2, fade, dtype=np.float32)[:, None]
    fade_in, fade_out = np.sin(ramp), np.cos(ramp)
    flac = out_dir / f"mix-{minutes:g}min.flac"
    used: list[str] = []
    written = 0
    tail: NDArray[np.float32] | None = None
    with sf.SoundFile(flac, "w", SAMPLE_RATE, 2, subtype="PCM_16") as mix:
        for track in _cycle(tracks, seed):
            audio = decode(out_dir / track.path)
            if audio.shape[0] < 3 * fade:
                continue
            used.append(track.id)
            if tail is not None:
                audio = audio.copy()
                audio[:fade] = tail * fade_out + audio[:fade] * fade_in
            body, tail = audio[:-fade], audio[-fade:]
            body = body[: target - written]
            mix.write(body)
            written += body.shape[0]
            if written >= target:
                break
    mp3 = flac.with_suffix(".mp3")
    encode(flac, mp3, "mp3")
    duration_s = written / SAMPLE_RATE
    return [
        Mix(f"{path.name}", fmt, round(duration_s, 3), tuple(used), crossfade_s)
        for path, fmt in ((flac, "flac"), (mp3, "mp3"))
    ]


# --------------------------------------------------------------------------- the CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tracks-per-genre", type=int, default=16)
    parser.add_argument("--folk-songs", type=int, default=60)
    parser.add_argument("--hymns", type=int, default=40)
    parser.add_argument("--florid-hymns", type=int, default=40)
    parser.add_argument("--chorales", type=int, default=40, help="held-out set; 0 for none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--mix-minutes", type=float, default=60.0, help="0 to skip the mix")
    parser.add_argument("--all-formats", action="store_true", help="every piece in every format")
    parser.add_argument("--soundfont", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    for tool in ("fluidsynth", "ffmpeg"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install {tool}")
    soundfont = find_soundfont(args.soundfont)
    out_dir: Path = args.out.resolve()
    # The audio and MIDI folders are this script's own output: start them afresh so that
    # no file of an earlier, differently sized corpus lingers beside the new manifest.
    for sub in ("audio", "midi"):
        shutil.rmtree(out_dir / sub, ignore_errors=True)
        (out_dir / sub).mkdir(parents=True)
    for old_mix in out_dir.glob("mix-*"):
        old_mix.unlink()

    started = time.perf_counter()
    extensions = supported_formats()
    every_format = tuple(extensions) if args.all_formats else None
    jobs = synthetic_jobs(args.tracks_per_genre, args.seed, every_format)
    folk_info: dict[str, object] = {}
    if args.folk_songs > 0:
        more, folk_info = folk_jobs(args.folk_songs, args.seed, every_format)
        jobs += more
    jobs += hymn_jobs(args.hymns, args.seed, every_format) + hymn_jobs(
        args.florid_hymns, args.seed, every_format, florid=True
    )
    chorale_info: dict[str, object] = {}
    if args.chorales > 0:
        more, chorale_info = chorale_jobs(args.chorales, args.seed, every_format)
        jobs += more
    composed = time.perf_counter()
    print(f"composed {len(jobs)} pieces in {composed - started:.1f} s", file=sys.stderr)

    tracks: list[Track] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(produce, job, out_dir, soundfont, extensions) for job in jobs]
        for done, future in enumerate(futures, start=1):
            tracks += future.result()
            if done % 10 == 0 or done == len(futures):
                print(f"rendered {done}/{len(futures)}", file=sys.stderr)
    rendered = time.perf_counter()

    mixes: list[Mix] = []
    synthetic = [track for track in tracks if track.set == SYNTHETIC]
    if args.mix_minutes > 0 and synthetic:
        mixes = build_mix(synthetic, out_dir, args.mix_minutes, args.seed)
    finished = time.perf_counter()

    manifest = Manifest(
        tracks=tracks,
        mixes=mixes,
        generator={
            "seed": args.seed,
            "tracks_per_genre": args.tracks_per_genre,
            "folk_songs": args.folk_songs,
            "hymns": args.hymns,
            "florid_hymns": args.florid_hymns,
            "chorales": args.chorales,
            "all_formats": args.all_formats,
            "soundfont": soundfont.name,
            "soundfont_package": f"{SOUNDFONT_PACKAGE} {_package_version(SOUNDFONT_PACKAGE)}",
            "fluidsynth": _tool_version(["fluidsynth", "--version"]),
            "ffmpeg": _tool_version(["ffmpeg", "-version"]),
            "folk": folk_info,
            "chorale_set": chorale_info,
            "seconds": {
                "compose": round(composed - started, 1),
                "render_and_encode": round(rendered - composed, 1),
                "mix": round(finished - rendered, 1),
            },
            "jobs": args.jobs,
        },
    )
    manifest.write(out_dir / "corpus.json")
    _print_summary(manifest, finished - started)
    return 0


def _print_summary(manifest: Manifest, seconds: float) -> None:
    by_set = Counter(track.set for track in manifest.tracks)
    audio_s = sum(track.duration_s for track in manifest.tracks)
    print(f"{len(manifest.tracks)} files, {audio_s / 60:.1f} min of audio in {seconds:.0f} s")
    for name, count in sorted(by_set.items()):
        tracks = [track for track in manifest.tracks if track.set == name]
        modes = Counter(track.key.split()[1] for track in tracks)
        print(f"  {name}: {count} files, {dict(modes)}")
    print(f"  formats: {dict(Counter(track.format for track in manifest.tracks))}")
    variants = Counter(v for track in manifest.tracks for v in track.variants)
    print(f"  variants: {dict(variants)}")
    for mix in manifest.mixes:
        print(f"  mix: {mix.path} {mix.duration_s / 60:.1f} min of {len(mix.track_ids)} tracks")


if __name__ == "__main__":
    sys.exit(main())
