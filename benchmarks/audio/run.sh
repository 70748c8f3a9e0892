#!/usr/bin/env bash
# The audio benchmark, end to end: its own environment, the corpus, the evaluation.
#
#   benchmarks/audio/run.sh                 # setup, corpus (if none yet), evaluate
#   benchmarks/audio/run.sh setup           # only the environment and system tools
#   benchmarks/audio/run.sh corpus [ARGS]   # python -m benchmarks.audio.corpus ARGS
#   benchmarks/audio/run.sh evaluate [ARGS] # python -m benchmarks.audio.evaluate ARGS
#
# The benchmark needs packages the project must not depend on (essentia is AGPL-3.0,
# music21 and mido are only for making the corpus), so it has an environment of its own,
# benchmarks/audio/.venv-bench: the project's tracktion packages installed editable, the
# pins of requirements.txt, and every other version taken from uv.lock, so that librosa
# and numpy are the ones the project tests with. It is made on first use and remade when
# requirements.txt, uv.lock or a package's pyproject.toml changes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/benchmarks/audio"
VENV="$HERE/.venv-bench"
PYTHON="${PYTHON:-python3}"
PACKAGES=(packages/tracktion-contracts packages/tracktion-core packages/tracktion-audio)

ensure_system_tools() {
    local missing=()
    command -v ffmpeg >/dev/null || missing+=(ffmpeg)
    command -v fluidsynth >/dev/null || missing+=(fluidsynth)
    if ! dpkg-query -W -f='${Status}' fluid-soundfont-gm 2>/dev/null | grep -q "ok installed"; then
        missing+=(fluid-soundfont-gm)
    fi
    if ((${#missing[@]} == 0)); then
        return
    fi
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "installing ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "missing: ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
        exit 1
    fi
}

# Everything the environment is built from; a change to any of it rebuilds it.
inputs_digest() {
    (cd "$ROOT" && cat benchmarks/audio/requirements.txt uv.lock \
        "${PACKAGES[@]/%//pyproject.toml}") | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    local digest stamp="$VENV/.inputs"
    digest="$(inputs_digest)"
    if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$digest" ]]; then
        return
    fi
    echo "making the benchmark environment in $VENV" >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # The versions of uv.lock, as constraints: the benchmark measures what the project ships.
    make -s -C "$ROOT" .tools/bin/uv >/dev/null
    local constraints="$VENV/constraints.txt"
    (cd "$ROOT" && .tools/bin/uv export --quiet --frozen --no-hashes --no-emit-workspace \
        --no-dev --package tracktion-audio --output-file "$constraints")
    local editable=()
    for package in "${PACKAGES[@]}"; do
        editable+=(-e "$ROOT/$package")
    done
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        -c "$constraints" "${editable[@]}" -r "$HERE/requirements.txt"
    echo "$digest" >"$stamp"
}

bench_python() {
    # From the root, so that `benchmarks.audio` imports as a package.
    (cd "$ROOT" && "$VENV/bin/python" "$@")
}

command="${1:-all}"
shift || true
case "$command" in
setup)
    ensure_system_tools
    ensure_venv
    ;;
corpus)
    ensure_system_tools
    ensure_venv
    bench_python -m benchmarks.audio.corpus "$@"
    ;;
evaluate)
    ensure_system_tools
    ensure_venv
    bench_python -m benchmarks.audio.evaluate "$@"
    ;;
all)
    ensure_system_tools
    ensure_venv
    if [[ ! -f "$HERE/corpus/corpus.json" ]]; then
        bench_python -m benchmarks.audio.corpus
    fi
    bench_python -m benchmarks.audio.evaluate "$@"
    ;;
*)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
