#!/usr/bin/env bash
# The package as a user gets it: build the wheel, install it with its plot extra into a fresh venv
# (no system site-packages; numpy, graphviz and matplotlib come from the registry), then, from an
# empty folder, list the demos, run one small demo and check where its picture went.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH

# a clean copy of the tree, so that no stale build/ or egg-info of a checkout gets into the wheel
"$PY" - "$work/src" <<'PYEOF'
import shutil, sys
shutil.copytree(".", sys.argv[1], ignore=shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "out", "__pycache__", ".pytest_cache", ".hypothesis",
    ".ruff_cache", "microgradx-demos-out"))
PYEOF

"$PY" -m venv "$work/venv"
vpy="$work/venv/bin/python"
"$vpy" -m pip install -q --upgrade pip
"$vpy" -m pip wheel -q --no-deps -w "$work/dist" "$work/src"
wheel=$(ls "$work"/dist/microgradx-*.whl)
"$vpy" -m pip install -q "$wheel[plot]"

mkdir "$work/run"
cd "$work/run"
where=$("$vpy" -c "import microgradx; print(microgradx.__file__)")
case "$where" in
  "$work/venv/"*) ;;
  *) echo "wheel check: microgradx was imported from $where, not from the installed wheel" >&2; exit 1 ;;
esac
names=$("$work/venv/bin/microgradx" demo --list)
for name in gradient_descent moons optimizer_race; do
  grep -qx "$name" <<<"$names" || { echo "wheel check: demo $name is not listed by 'microgradx demo --list'" >&2; exit 1; }
done
MPLBACKEND=Agg "$work/venv/bin/microgradx" demo gradient_descent
test -s microgradx-demos-out/gradient_descent.png \
  || { echo "wheel check: the demo wrote no microgradx-demos-out/gradient_descent.png" >&2; exit 1; }
"$work/venv/bin/microgradx" check "-x**2" --at x=1 >/dev/null
set +e
"$work/venv/bin/microgradx" bench 2>bench.err
code=$?
set -e
if [ "$code" != 2 ] || [ "$(wc -l <bench.err)" != 1 ]; then
  echo "wheel check: 'microgradx bench' outside a checkout should say so in one line and exit 2" >&2
  cat bench.err >&2
  exit 1
fi
echo "wheel check: OK ($(basename "$wheel") installs; demos listed and run from an empty folder)"
