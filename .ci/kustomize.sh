#!/usr/bin/env bash
# Provides kustomize (to render deploy/k8s in the manifest tests): uses one on PATH or in
# $HOME/go/bin, else builds it with Go from the module proxy (about 30 s).
set -euo pipefail
VERSION=v5.7.1
for candidate in "${KUSTOMIZE_BIN:-}" "$(command -v kustomize || true)" "$HOME/go/bin/kustomize"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" version >/dev/null 2>&1; then
    echo "kustomize.sh: using $candidate"
    exit 0
  fi
done
command -v go >/dev/null || { echo "kustomize.sh: no kustomize and no Go toolchain to build it" >&2; exit 1; }
echo "kustomize.sh: building kustomize $VERSION"
GOBIN="$HOME/go/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$VERSION"
"$HOME/go/bin/kustomize" version
