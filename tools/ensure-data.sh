#!/usr/bin/env bash
# Installs the Debian packages the demo and the tests read when they are missing: the Fashion-MNIST IDX files
# (dataset-fashion-mnist) and numpy for Debian's python3 (python3-numpy: the tests' independent readers and references).
set -euo pipefail
missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
/usr/bin/python3 -c "import numpy" 2>/dev/null || missing+=(python3-numpy)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing ${missing[*]} (Debian packages) ..." >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
