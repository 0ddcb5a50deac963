#!/usr/bin/env bash
# TVM lives only in this bench's own virtualenv: it is never a dependency of raytune_ms.
# apache-tvm-ffi is pinned because newer ffi builds segfault in tvm.ir.save_json.
set -euo pipefail
VENV="${TVM_VENV:-/work/tvm-venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install -q apache-tvm==0.27.0.post1 apache-tvm-ffi==0.1.14.post0 numpy scipy psutil xgboost cloudpickle tornado
"$VENV/bin/python" -c "import tvm; print('tvm', tvm.__version__)"
