"""Mood and genre tagging: the tagger's two backends beside musicnn's TensorFlow graph.

For each file: the seconds of CPU and of wall-clock time per minute of audio, and the
agreement of the track-level tag probabilities (the mean over 3-second patches) with the
numpy port's: top-5 overlap (tags in both top-5 lists, out of 5) and the largest
probability difference. The last lines sum CPU time over all files, per minute of audio.

* ``numpy``, ``numpy-1`` and ``onnx``: ``MoodAnalyzer(backend=...).tag`` on the file
  decoded by ``tracktion.audio.load`` (the weights are loaded and the ONNX Runtime
  session made before timing; decoding is not timed; resampling and the log-mel front
  end are). ``numpy`` uses as many BLAS threads as OpenBLAS starts by default (one per
  core, as a call in a notebook does), ``numpy-1`` one (``threadpoolctl``, as every worker
  of a batch or of the analysis service does), ``onnx`` ONNX
  Runtime with one thread (its default);
* ``tensorflow``: musicnn's own graph and checkpoint (``musicnn.models``, run through
  ``scripts/convert_musicnn_weights.py``), on ``librosa.load(sr=16000)`` and musicnn's
  preprocessing, in the side environment that has TensorFlow (``--tf-python``; see the
  conversion script for how to make it). The graph is built before timing;
* ``musicnn-as-shipped`` (agreement only): ``musicnn.extractor.extractor`` unchanged.
  Under numpy 2 its ``10000 * float16`` overflows to infinity for every mel power above
  6.55, which real music always has, and it then gives every loud track nearly the same
  tags. The port computes the logarithm in float32, as musicnn did under numpy 1.

Files: those given, else the first ``--files`` of ``benchmarks/audio/corpus/audio`` (made
by ``benchmarks/audio/run.sh corpus``), else synthetic clips written to a temporary folder.

    .venv/bin/python benchmarks/mood.py [FILE...] [--files 4] [--repeat 1] [--tf-python PATH]
        [--json]

``onnx`` needs ``tracktion-audio[ml]`` (the development environment has it); without it,
only ``numpy`` runs.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tracktion.audio.mood import Backend

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks/audio/corpus/audio"
SIDE_PYTHON = ROOT / ".cache/venv-ml/bin/python"
ENGINES: dict[str, tuple[Backend, int | None]] = {
    "numpy": ("numpy", None),
    "numpy-1": ("numpy", 1),
    "onnx": ("onnx", None),
}
"""Each engine of the port: its backend and its BLAS threads (``None``: the default)."""


def run_ports(files: list[str], repeat: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Each engine on each file in turn (so that a change of the machine's load affects
    them alike), keeping the least CPU time of ``repeat`` runs."""
    from threadpoolctl import threadpool_limits

    from tracktion.audio import load
    from tracktion.audio.mood import MoodAnalyzer

    taggers = {}
    for engine, (backend, blas_threads) in ENGINES.items():
        try:
            taggers[engine] = (MoodAnalyzer(backend=backend), blas_threads)
        except ImportError as exc:  # no tracktion-audio[ml]
            print(f"{engine}: not run ({exc})", file=sys.stderr)
            continue
        taggers[engine][0].tag(np.zeros(16000 * 4, np.float32) + 0.1, 16000)  # warm up
    out: dict[str, dict[str, dict[str, Any]]] = {engine: {} for engine in taggers}
    for name in files:
        audio = load(name)
        y = audio.samples.mean(axis=0, dtype=np.float32)
        for _ in range(repeat):
            for engine, (tagger, blas_threads) in taggers.items():
                with threadpool_limits(blas_threads, user_api="blas"):
                    wall, cpu = time.perf_counter(), time.process_time()
                    result = tagger.tag(y, audio.sr, top_k=None)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                run = {
                    "duration_s": audio.duration_s,
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "probabilities": {t.tag: t.probability for t in result.tags},
                }
                best = out[engine].get(name)
                if best is None or run["cpu_s"] < best["cpu_s"]:
                    out[engine][name] = run
    return out


def run_tensorflow(files: list[str], repeat: int) -> dict[str, dict[str, Any]]:
    """In the side environment: musicnn's graph, then musicnn's extractor as shipped."""
    import librosa

    spec = importlib.util.spec_from_file_location(
        "convert", ROOT / "scripts/convert_musicnn_weights.py"
    )
    assert spec is not None
    assert spec.loader is not None
    convert = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(convert)
    tags = list(importlib.import_module("musicnn.configuration").MSD_LABELS)
    graph = convert.TensorFlowMusicnn("MSD_musicnn", len(tags))
    shipped = importlib.import_module("musicnn.extractor")
    out = {}
    for name in files:
        y, _ = librosa.load(name, sr=convert.SR)
        timing = (float("inf"), float("inf"))
        for _ in range(repeat):  # the least CPU time of the runs, as for the port
            wall, cpu = time.perf_counter(), time.process_time()
            taggram = graph.predict(convert.patches(convert.reference_log_mel(y)))
            run = (time.perf_counter() - wall, time.process_time() - cpu)
            timing = min(timing, run, key=lambda t: t[1])
        as_shipped = shipped.extractor(name, model="MSD_musicnn", extract_features=False)[0]
        out[name] = {
            "duration_s": y.size / convert.SR,
            "wall_s": timing[0],
            "cpu_s": timing[1],
            "probabilities": dict(zip(tags, map(float, taggram.mean(axis=0)), strict=True)),
            "shipped": dict(zip(tags, map(float, as_shipped.mean(axis=0)), strict=True)),
        }
    return out


def synthetic(folder: Path) -> list[str]:
    """30 s versions of the test clips, when there is no corpus."""
    import soundfile as sf

    sys.path.insert(0, str(ROOT))
    from tests.audio.musicnn_clips import SR, clip

    files = []
    for name in ("chord_pulse", "drums_noise"):
        y = clip(name)
        path = folder / f"{name}.wav"
        sf.write(path, np.tile(y, -(-30 * SR // y.size))[: 30 * SR], SR)
        files.append(str(path))
    return files


def top(probabilities: dict[str, float], k: int = 5) -> list[str]:
    return sorted(probabilities, key=lambda tag: -probabilities[tag])[:k]


def compare(a: dict[str, float], b: dict[str, float]) -> tuple[int, float]:
    overlap = len(set(top(a)) & set(top(b)))
    return overlap, max(abs(a[tag] - b[tag]) for tag in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="audio files (default: the corpus)")
    parser.add_argument("--files", type=int, default=4, help="corpus files to use")
    parser.add_argument("--tf-python", type=Path, default=SIDE_PYTHON)
    parser.add_argument("--repeat", type=int, default=1, help="runs per file (least CPU kept)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--engine", choices=["port", "tensorflow"], default="port")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat is at least 1")
    if args.engine == "tensorflow":  # the side environment's half of a run
        json.dump(run_tensorflow(args.paths, args.repeat), sys.stdout)
        return
    with tempfile.TemporaryDirectory() as scratch:
        files = [os.fspath(p) for p in args.paths]
        if not files and CORPUS.is_dir():
            files = sorted(os.fspath(p) for p in CORPUS.iterdir() if p.is_file())[: args.files]
        files = files or synthetic(Path(scratch))
        ports = run_ports(files, args.repeat)
        tf: dict[str, dict[str, Any]] = {}
        if args.tf_python.exists():
            env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
            done = subprocess.run(
                [
                    os.fspath(args.tf_python),
                    "-W",
                    "ignore",
                    __file__,
                    "--engine",
                    "tensorflow",
                    "--repeat",
                    str(args.repeat),
                    *files,
                ],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            tf = json.loads(done.stdout.strip().splitlines()[-1])
        else:
            print(f"tensorflow: not run (no {args.tf_python})", file=sys.stderr)
    report(files, ports, tf, as_json=args.json)


def report(
    files: list[str],
    ports: dict[str, dict[str, dict[str, Any]]],
    tf: dict[str, dict[str, Any]],
    *,
    as_json: bool,
) -> None:
    rows = []
    for name in files:
        ours = ports["numpy"][name]
        row: dict[str, Any] = {
            "file": os.path.basename(name),
            "minutes": ours["duration_s"] / 60,
            "port_top5": top(ours["probabilities"]),
        }
        for backend, runs in ports.items():
            run = runs[name]
            row |= {
                f"{backend}_cpu_s_per_min": run["cpu_s"] / (run["duration_s"] / 60),
                f"{backend}_wall_s_per_min": run["wall_s"] / (run["duration_s"] / 60),
            }
            if backend != "numpy":
                overlap, diff = compare(run["probabilities"], ours["probabilities"])
                row |= {f"top5_overlap_{backend}": overlap, f"max_diff_{backend}": diff}
        if name in tf:
            theirs = tf[name]
            minutes = theirs["duration_s"] / 60
            overlap, diff = compare(ours["probabilities"], theirs["probabilities"])
            shipped_overlap, shipped_diff = compare(ours["probabilities"], theirs["shipped"])
            row |= {
                "tf_cpu_s_per_min": theirs["cpu_s"] / minutes,
                "tf_wall_s_per_min": theirs["wall_s"] / minutes,
                "top5_overlap_tf": overlap,
                "max_diff_tf": diff,
                "top5_overlap_shipped": shipped_overlap,
                "max_diff_shipped": shipped_diff,
                "shipped_top5": top(theirs["shipped"]),
            }
        rows.append(row)
    totals = summary(files, ports, tf)
    if as_json:
        print(json.dumps({"files": rows, "total": totals}, indent=2))
        return
    for row in rows:
        print(f"{row['file']} ({row['minutes']:.2f} min); top 5: {', '.join(row['port_top5'])}")
        for backend in ports:
            agreement = (
                f"; top-5 overlap {row[f'top5_overlap_{backend}']}/5, "
                f"max |diff| {row[f'max_diff_{backend}']:.1e}"
                if f"max_diff_{backend}" in row
                else ""
            )
            print(
                f"  {backend:10} {row[f'{backend}_cpu_s_per_min']:.2f} s CPU / min, "
                f"{row[f'{backend}_wall_s_per_min']:.2f} s wall / min{agreement}"
            )
        if "tf_cpu_s_per_min" in row:
            print(
                f"  tensorflow {row['tf_cpu_s_per_min']:.2f} s CPU / min, "
                f"{row['tf_wall_s_per_min']:.2f} s wall / min; top-5 overlap "
                f"{row['top5_overlap_tf']}/5, max |diff| {row['max_diff_tf']:.4f}"
            )
            print(
                f"  musicnn as shipped: top-5 overlap {row['top5_overlap_shipped']}/5, max |diff| "
                f"{row['max_diff_shipped']:.4f}; top 5: {', '.join(row['shipped_top5'])}"
            )
    print_summary(totals)


def summary(
    files: list[str],
    ports: dict[str, dict[str, dict[str, Any]]],
    tf: dict[str, dict[str, Any]],
) -> dict[str, float]:
    """CPU seconds per minute of audio over all files, per engine, and their ratios."""
    engines = {**ports, **({"tensorflow": tf} if tf else {})}
    totals = {
        f"{engine}_cpu_s_per_min": sum(runs[f]["cpu_s"] for f in files)
        / (sum(runs[f]["duration_s"] for f in files) / 60)
        for engine, runs in engines.items()
    }
    names = [engine for engine in ("numpy", "numpy-1", "tensorflow") if engine in engines]
    if "onnx" in engines:
        for other in names:
            ratio = totals["onnx_cpu_s_per_min"] / totals[f"{other}_cpu_s_per_min"]
            totals[f"onnx_vs_{other}"] = ratio
    return totals


def print_summary(totals: dict[str, float]) -> None:
    print("CPU s / min of audio over all files:")
    for key, value in totals.items():
        if key.endswith("_cpu_s_per_min"):
            print(f"  {key.removesuffix('_cpu_s_per_min'):10} {value:.2f}")
    for key, value in totals.items():
        if key.startswith("onnx_vs_"):
            print(f"  onnx / {key.removeprefix('onnx_vs_')}: {value:.2f}")


if __name__ == "__main__":
    main()
