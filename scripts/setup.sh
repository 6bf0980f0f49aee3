#!/usr/bin/env bash
# Install everything PoseLift needs on a fresh Debian 12 machine, from any current directory:
#   1. the Debian libraries the bpy module needs (and npm, for fetching assets), where missing;
#   2. the virtual environment .venv/ at the repository root: torch 2.13.0 (CPU build, from this machine's
#      disk), then the project in editable mode with its worker and test extras (bpy, pytest, ruff);
#   3. the real assets (BlazePose weights, mocap clips, photos) into .cache/assets/ via scripts/fetch_assets.py.
# Idempotent: a second run checks each step and skips what is done. Env PYTHON picks the interpreter (3.11).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
START=$SECONDS
say() { printf 'setup [%4ds]: %s\n' "$((SECONDS - START))" "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages ----------------------------------------------------------------------------------
DEBS=(libx11-6 libxrender1 libxfixes3 libxi6 libxkbcommon0 libsm6 libxext6 libgl1 libegl1)
command -v npm >/dev/null || DEBS+=(npm)

is_py311() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; }
PY=""
for candidate in "${PYTHON:-}" python3.11 python3; do
    if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null && is_py311 "$candidate"; then
        PY="$(command -v "$candidate")"
        break
    fi
done
[[ -n "$PY" || -x .venv/bin/python ]] || DEBS+=(python3 python3-venv)

missing=()
for pkg in "${DEBS[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || missing+=("$pkg")
done
if ((${#missing[@]})); then
    SUDO=()
    [[ "$(id -u)" -eq 0 ]] || SUDO=(sudo)
    say "installing Debian packages: ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "Debian packages: all present"
fi
if [[ -z "$PY" && ! -x .venv/bin/python ]]; then
    is_py311 /usr/bin/python3 || die "no Python 3.11 with venv found (set PYTHON to one)"
    PY=/usr/bin/python3
fi

# --- 2. the virtual environment ---------------------------------------------------------------------------
VPY=.venv/bin/python
if ! "$VPY" -c '' 2>/dev/null; then
    [[ -n "$PY" ]] || die ".venv is broken and no Python 3.11 was found to rebuild it (set PYTHON)"
    say "creating .venv with $PY"
    "$PY" -m venv --clear .venv
fi
"$VPY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || die ".venv is not Python 3.11; remove it and run again"

installed() { "$VPY" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true; }
pip() { "$VPY" -m pip --disable-pip-version-check "$@"; }

TORCH=2.13.0
case "$(installed torch)" in
    "$TORCH" | "$TORCH+cpu") say "torch $TORCH: present" ;;
    *)
        # On this project's machines pip finds torch's CPU wheel on disk; elsewhere PyPI serves a CUDA build.
        url="$(pip install --dry-run -qq --no-deps --report - "torch==$TORCH" |
            "$VPY" -c 'import json, sys; print(json.load(sys.stdin)["install"][0]["download_info"]["url"])')"
        [[ "$url" == file://* ]] || say "torch $TORCH comes from $url (a large download)"
        say "installing torch $TORCH"
        pip install -qq "torch==$TORCH"
        ;;
esac

STAMP=.venv/.poselift-installed
want="$(cat pyproject.toml engine/requirements.txt tests/requirements.txt | sha256sum | cut -d' ' -f1)"
here="$("$VPY" -c 'import poselift; print(poselift.__file__)' 2>/dev/null || true)"
if [[ "$(cat "$STAMP" 2>/dev/null)" == "$want" && "$here" == "$REPO/__init__.py" ]]; then
    say "poselift (editable, this checkout) and its extras: installed for these package lists"
else
    say "installing poselift (editable) with its worker and test extras"
    pip install -qq -e ".[worker,test]"
    echo "$want" >"$STAMP"
fi
"$VPY" -c 'import bpy' >/dev/null 2>&1 || die "bpy does not import in .venv (missing Debian libraries?): run $VPY -c 'import bpy'"

# --- 3. assets ---------------------------------------------------------------------------------------------
say "assets:"
"$VPY" scripts/fetch_assets.py | sed 's/^/  /'

# After the assets step: MediaPipe's reference runtime (parity tests, bench/detector2d.py) loads the lite and
# heavy models from its own modules folder, where the wheel has only full; copy the npm files in, offline.
MP_LANDMARKS="$("$VPY" - <<'PY' 2>/dev/null || true
import importlib.util, os
spec = importlib.util.find_spec("mediapipe")
print(os.path.join(next(iter(spec.submodule_search_locations)), "modules", "pose_landmark") if spec else "")
PY
)"
if [[ -d "$MP_LANDMARKS" ]]; then
    for v in lite heavy; do
        cmp -s ".cache/assets/pose_landmark_$v.tflite" "$MP_LANDMARKS/pose_landmark_$v.tflite" ||
            cp ".cache/assets/pose_landmark_$v.tflite" "$MP_LANDMARKS/"
    done
    say "MediaPipe reference: lite and heavy models in place"
fi

say "done in $((SECONDS - START)) s"
