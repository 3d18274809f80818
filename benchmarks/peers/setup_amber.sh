#!/usr/bin/env bash
# Create benchmarks/peers/.venv-amber: the original AMBER (amber-automl 0.1.5) with its PyTorch
# backend, for benchmarks/peers/amber_nfe2.py. Idempotent: rerunning only installs what is missing.
#
#   bash benchmarks/peers/setup_amber.sh            # PYTHON=python3.11, TORCH_PIN=torch==2.13.0
#
# Why each pin (amber-automl declares only numpy, matplotlib, tqdm, packaging):
#   pytorch-lightning==1.8.6  amber/backend/pytorch/utils.py imports pytorch_lightning.loggers.base,
#                             removed in 1.9; 2.x also drops the *_epoch_end hooks AMBER's Model uses
#   torchmetrics==0.11.4      AMBER builds metrics with task=..., which needs torchmetrics >= 0.11
#   numpy==1.23.5             AMBER's amber/backend/backend.py annotates with np.bool (gone in
#                             NumPy 1.24-1.26) and pytorch-lightning 1.8 uses np.Inf (gone in 2.0):
#                             1.23 is the last NumPy with both
#   matplotlib<3.7            amber/plots/plotsV1.py calls plt.grid(b=True); `b` was removed in 3.7
#   pandas<3 scipy<1.12 scikit-learn<1.6
#                             the newest releases that still install with NumPy 1.23
#   setuptools<81             lightning_lite (inside pytorch-lightning 1.8) imports pkg_resources
#   pandas seaborn h5py scikit-learn expecttest
#                             imported by AMBER's PyTorch backend / plots / reward but undeclared
#                             (expecttest: amber/backend/pytorch/session.py imports
#                             torch.testing._internal.common_utils, which needs it)
# torch: the CPU build genas uses (Makefile TORCH_PIN); AMBER 0.1.5 itself runs on torch 2.13.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-amber"
PYTHON="${PYTHON:-python3.11}"
TORCH_PIN="${TORCH_PIN:-torch==2.13.0}"

test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q "$TORCH_PIN"
"$VENV/bin/pip" install -q \
    "$TORCH_PIN" \
    "amber-automl==0.1.5" \
    "pytorch-lightning==1.8.6" \
    "torchmetrics==0.11.4" \
    "numpy==1.23.5" \
    "pandas<3" \
    "scipy<1.12" \
    "matplotlib<3.7" \
    "scikit-learn<1.6" \
    "setuptools<81" \
    seaborn h5py expecttest
AMBBACKEND=pytorch AMBDEFAULTDIR="${TMPDIR:-/tmp}/amber-default" \
    "$VENV/bin/python" -W ignore -c "import amber, amber.backend as F; assert F.mod_name == 'pytorch'"
echo "AMBER venv ready: $VENV"
