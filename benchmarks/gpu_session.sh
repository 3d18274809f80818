#!/usr/bin/env bash
# Every GPU row of the speed benchmarks in one short run (under 8 minutes on one H100/H200),
# for a session that is lent a GPU for a few minutes:
#
#     bash benchmarks/gpu_session.sh            # writes benchmarks/results/*_cuda.json
#
# Each step has its own time limit, most important first, so a slow step cannot eat the
# rest; a step that fails or runs out of time is reported and the next one runs. Then
# `.venv/bin/python benchmarks/results_md.py` puts the new figures in RESULTS.md.
# PY picks the interpreter (default: the project's .venv, else python on PATH).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python)}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"

step() {
    local limit=$1
    shift
    echo "== $* (limit ${limit}s)"
    local start=$SECONDS
    timeout "$limit" "$PY" "$@" || echo "!! failed or out of time: $*"
    echo "== $((SECONDS - start)) s"
}

"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; \
print(torch.__version__, torch.cuda.get_device_name())" || exit 1
# the paper schedule's projection, eager and with the supernet compiled block by block
step 120 benchmarks/gpu_projection.py --device cuda --compile
# child training throughput and fraction of peak, eager and torch.compile, 1000 bp children
step 120 benchmarks/throughput.py --device cuda --compile
# supernet path vs child, both compiled
step 45 benchmarks/supernet_step.py --device cuda --compile --quick
# independent children per hour: one at a time, and 4 side by side on the one GPU
step 120 benchmarks/children_rate.py --device cuda --workers 1,4 --budget 45s
# compiled and eager agree (CPU tests; the GPU machine's compiler and Triton install)
step 45 -m pytest -q -p no:cacheprovider tests/test_compiling.py
if [ -n "${OUT:-}" ]; then cp benchmarks/results/*_cuda.json "$OUT/"; fi
