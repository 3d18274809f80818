"""The original AMBER (PyPI ``amber-automl`` 0.1.5, PyTorch backend) on the NFE2 data.

    bash benchmarks/peers/setup_amber.sh          # once: benchmarks/peers/.venv-amber
    benchmarks/peers/.venv-amber/bin/python benchmarks/peers/amber_nfe2.py [--quick] [--threads N]

Runs inside AMBER's own virtual environment (not the genas one: AMBER 0.1.5 needs
pytorch-lightning 1.8, see setup_amber.sh), so it imports nothing from genas. It reads the
NFE2 FASTA files itself (ACGT one-hot, N = 0.25 per channel, centre-padded to 250 bp with
all-zero columns, as ``examples/nfe2.yaml`` does in genas), holds out 10 % of the training
sequences (seeded) for the reward, and runs AMBER's ENAS search through its own API
(``amber.Amber`` with ``GeneralController`` + ``EnasCnnModelBuilder`` supernet + ``EnasManager``
+ ``EnasTrainEnv``) on a model space shaped like genas's ``small`` preset. It then retrains the
chosen architecture from scratch with AMBER's ``ResidualCnnBuilder`` through ``GeneralManager``
(early stopping on validation loss) and scores it on the NFE2 test files (sklearn AUROC).

AMBER 0.1.5 does not run on current libraries as shipped; the incompatibilities are worked
around at run time (monkeypatches of AMBER functions, never copies of its code), each listed
in ``WORKAROUNDS`` below and in the result JSON. Writes ``benchmarks/results/amber_peer.json``.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import logging
import os
import random
import shutil
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "nfe2_gm12878"

# AMBER picks its backend from $AMBBACKEND when `amber` is first imported, and otherwise writes
# ~/.amber/config.json choosing tensorflow_1; point both at pytorch / a scratch folder.
os.environ.setdefault("AMBBACKEND", "pytorch")
os.environ.setdefault("AMBDEFAULTDIR", str(Path(tempfile.gettempdir()) / "amber-default"))

# genas `small` (src/genas/space/presets/small.yaml): 6 layers x these ops, 32 filters for
# layers 0-2 and 64 for 3-5 (one 4x reduction after layer 2), skips searched, stem conv k8 x 32,
# global-pool head with a 32-unit dense layer and dropout 0.2.
SMALL_OPS = ["conv_k7", "conv_k3", "dilconv_k3_d4", "maxpool_k3", "avgpool_k3", "identity"]
N_LAYERS, FILTERS, REDUCTIONS, REDUCTION_POOL = 6, 32, (2,), 4
STEM_KERNEL, HEAD_UNITS, HEAD_DROPOUT = 8, 32, 0.2
LENGTH, N_VALUE, VALID_FRACTION = 250, 0.25, 0.1
# examples/nfe2.yaml `search:` and genas's defaults for the controller and the supernet optimiser
SEARCH = {"steps": 40, "child_steps": 20, "archs_per_step": 10, "warmup_epochs": 2}
CONTROLLER = {
    "lstm_size": 64,
    "lstm_num_layers": 1,
    "temperature": 2.0,
    "tanh_constant": 1.5,
    "skip_target": 0.4,
    "skip_weight": 0.8,
    "buffer_size": 15,
    "batch_size": 5,
    "train_pi_iter": 20,
}
BATCH_SIZE, SUPERNET_LR, RETRAIN_LR, RETRAIN_EPOCHS, RETRAIN_PATIENCE = 64, 3e-3, 1e-3, 30, 6

WORKAROUNDS: list[dict] = []


def note(what: str, error: str, fix: str) -> None:
    """Record one workaround for the JSON and the log."""
    WORKAROUNDS.append({"what_broke": what, "error": error, "workaround": fix})


# ---------------------------------------------------------------- data


def read_fasta(path: Path) -> list[str]:
    """Sequences of a (optionally gzipped) FASTA file, upper-cased."""
    opener = gzip.open if path.suffix == ".gz" else open
    seqs: list[str] = []
    current: list[str] = []
    with opener(path, "rt") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(">"):
                if current:
                    seqs.append("".join(current).upper())
                current = []
            elif line:
                current.append(line)
    if current:
        seqs.append("".join(current).upper())
    return seqs


def one_hot(seqs: list[str], length: int) -> np.ndarray:
    """float32 (N, L, 4) in AMBER's channel-last layout, ACGT order.

    N (and any other letter) is 0.25 in every channel; sequences are centre-cropped or
    centre-padded (all-zero columns, the odd column on the right) to ``length``.
    """
    table = np.full((256, 4), N_VALUE, dtype=np.float32)
    table[[ord(c) for c in "ACGT"]] = np.eye(4, dtype=np.float32)
    out = np.zeros((len(seqs), length, 4), dtype=np.float32)
    for i, s in enumerate(seqs):
        if len(s) > length:
            start = (len(s) - length) // 2
            s = s[start : start + length]
        codes = np.frombuffer(s.encode("ascii"), dtype=np.uint8)
        start = (length - len(s)) // 2
        out[i, start : start + len(s)] = table[codes]
    return out


def load_split(data_dir: Path, pos: str, neg: str) -> tuple[np.ndarray, np.ndarray]:
    """(x (N, L, 4) float32, y (N, 1) float32) of one positives + negatives pair."""
    p, n = read_fasta(data_dir / pos), read_fasta(data_dir / neg)
    x = one_hot(p + n, LENGTH)
    y = np.concatenate([np.ones(len(p)), np.zeros(len(n))]).astype(np.float32)[:, None]
    return x, y


class RcAugmented:
    """Training set that reverse-complements each sequence with probability 1/2 on each read
    (genas ``rc_augment: true``). x (N, L, 4) channel-last ACGT: reverse both axes."""

    def __init__(self, x: np.ndarray, y: np.ndarray, rc: bool):
        self.x, self.y, self.rc = x, y, rc

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        import torch

        x = self.x[i]
        if self.rc and random.random() < 0.5:
            x = x[::-1, ::-1].copy()
        return torch.from_numpy(x), torch.from_numpy(self.y[i])


# ---------------------------------------------------------------- workarounds


def apply_workarounds() -> None:
    """Runtime patches that let AMBER 0.1.5's PyTorch backend run here; each is recorded."""
    import torch
    from amber.architect.manager import EnasManager
    from amber.backend.pytorch import model as amber_model
    from amber.modeler.supernet import base as supernet_base
    from amber.modeler.supernet import pytorch_supernet

    # 1. EnasCnnModelBuilder accepts stem_config / keep_prob / with_skip_connection but does not
    #    pass them on to BaseEnasConv1dDAG.__init__, so the supernet always gets the defaults
    #    (flatten head with 1000 units, keep_prob 0.9) whatever the caller asks for.
    base_init = supernet_base.BaseEnasConv1dDAG.__init__
    forwarded: dict = {}

    @functools.wraps(base_init)
    def base_init_forwarding(self, *args, **kwargs):
        for key, value in forwarded.items():
            kwargs.setdefault(key, value)
        out_op = kwargs.get("output_op")
        if isinstance(out_op, list) and len(out_op) == 1:  # workaround 3
            kwargs["output_op"] = out_op[0]
        return base_init(self, *args, **kwargs)

    builder_init = pytorch_supernet.EnasCnnModelBuilder.__init__

    @functools.wraps(builder_init)
    def builder_init_forwarding(self, *args, **kwargs):
        forwarded.clear()
        for key in ("stem_config", "keep_prob", "with_skip_connection"):
            if key in kwargs:
                forwarded[key] = kwargs[key]
        kwargs.pop("controller", None)  # workaround 2: EnasTrainEnv connects it instead
        try:
            return builder_init(self, *args, **kwargs)
        finally:
            forwarded.clear()

    supernet_base.BaseEnasConv1dDAG.__init__ = base_init_forwarding
    pytorch_supernet.EnasCnnModelBuilder.__init__ = builder_init_forwarding
    note(
        "EnasCnnModelBuilder drops its stem_config / keep_prob / with_skip_connection arguments "
        "(amber/modeler/supernet/pytorch_supernet.py calls BaseEnasConv1dDAG.__init__ without "
        "them)",
        "no error: the supernet silently gets a flatten head with 1000 units and keep_prob 0.9 "
        "instead of the global-average-pool head with 32 units asked for",
        "wrap BaseEnasConv1dDAG.__init__ so that the three arguments given to "
        "EnasCnnModelBuilder reach it",
    )
    # 2. Amber.from_dict passes the controller to EnasCnnModelBuilder; Model.__init__ then
    #    calls Lightning's save_hyperparameters(), which collects the __init__ arguments of the
    #    subclass and deep-copies them, and the controller holds non-leaf tensors (sample_arc).
    note(
        "EnasCnnModelBuilder(controller=...) as amber.Amber.from_dict builds it",
        "RuntimeError: Only Tensors created explicitly by the user (graph leaves) support the "
        "deepcopy protocol at the moment (pytorch_lightning save_hyperparameters -> "
        "copy.deepcopy of the controller's sampled-architecture tensors)",
        "drop the controller argument when the supernet is built; EnasTrainEnv.__init__ then "
        "connects the same controller with set_controller (its own code path for a modeler "
        "without one)",
    )

    # 3. amber.getter.get_modeler always hands EnasCnnModelBuilder a *list* of output
    #    Operations; BaseEnasConv1dDAG._verify_args unwraps a one-element input list but not
    #    the output list, and _build_dag then reads output_node.Layer_attributes.
    note(
        "EnasCnnModelBuilder built through amber.getter.get_modeler (as amber.Amber does)",
        "AttributeError: 'list' object has no attribute 'Layer_attributes' "
        "(pytorch_supernet.py _build_dag, self.output_node)",
        "unwrap a one-element output_op list before BaseEnasConv1dDAG.__init__ (same wrapper as "
        "workaround 1)",
    )

    # 4. Model.load_weights loads a Lightning checkpoint (what AMBER's own ModelCheckpoint
    #    callback writes) with load_state_dict(strict=False): the weights sit under
    #    'state_dict', so nothing is loaded; and torch>=2.6 torch.load refuses the file
    #    (weights_only=True by default) because the checkpoint holds non-tensor objects.
    def load_weights(self, filepath: str):
        state = torch.load(filepath, map_location="cpu", weights_only=False)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        self.load_state_dict(state, strict=True)

    amber_model.Model.load_weights = load_weights
    note(
        "GeneralManager restores the best epoch with Model.load_weights(temp_network.h5), a "
        "Lightning checkpoint written by AMBER's ModelCheckpoint callback",
        "torch>=2.6: _pickle.UnpicklingError: Weights only load failed ... (torch.load "
        "weights_only=True); and with an older torch the weights are nested under "
        "'state_dict', so load_state_dict(strict=False) silently loads nothing",
        "replace Model.load_weights with torch.load(weights_only=False) + "
        "load_state_dict(checkpoint['state_dict'], strict=True)",
    )

    # 5. (applied in build_amber) the PyTorch backend's create_parameter registers every
    #    controller weight in cache.GLOBAL_DEFAULT_GRAPH, under the variable scope of whatever
    #    graph is current, while trainable_variables(scope) searches the *current* graph.
    #    Amber.__init__ makes a fresh Session current, so the controller finds no parameters.
    note(
        "amber.Amber(types, specs) cannot build the PyTorch GeneralController",
        "ValueError: optimizer got an empty parameter list (GeneralController.__init__ -> "
        "F.get_optimizer): create_parameter adds weights to GLOBAL_DEFAULT_GRAPH, "
        "trainable_variables looks them up in the Session Amber.__init__ made current",
        "construct Amber(types) without specs, make cache.GLOBAL_DEFAULT_GRAPH the current "
        "session again (F.set_session), then Amber.from_dict(specs)",
    )

    # 6. EnasManager keeps one supernet object: scoring an architecture calls model_fn(arc),
    #    i.e. EnasCnnModelBuilder.__call__, which sets supernet.fixed_arc = arc, and nothing
    #    clears it. EnasCnnModelBuilder.step samples a path from the controller per minibatch
    #    only while fixed_arc is None, so from controller step 1 on the "shared" training
    #    trains only the last architecture scored in the previous step.
    manager_get_rewards = EnasManager.get_rewards

    @functools.wraps(manager_get_rewards)
    def get_rewards_sampling(self, trial, model_arc=None, nsteps=None):
        if model_arc is None and self.model is not None:
            self.model.fixed_arc = None
        return manager_get_rewards(self, trial, model_arc, nsteps=nsteps)

    EnasManager.get_rewards = get_rewards_sampling
    note(
        "EnasManager supernet training after the first reward evaluation",
        "no error: the supernet's fixed_arc stays set to the last architecture scored, so "
        "every later supernet epoch trains that one path instead of controller-sampled "
        "paths (measured without this fix in a --quick run: 19 of 57 minibatches on a fixed "
        "path; in a full run all but the warm-up and the first step)",
        "wrap EnasManager.get_rewards to reset model.fixed_arc = None before it trains the "
        "supernet (model_arc None), as its docstring describes: an architecture sampled for "
        "each minibatch",
    )


# ---------------------------------------------------------------- AMBER set-up


def small_model_space():
    """genas ``small`` as an AMBER ModelSpace (6 layers x 6 ops, 32 -> 64 filters)."""
    from amber.architect import ModelSpace, Operation

    space = ModelSpace()
    filters = FILTERS
    for layer in range(N_LAYERS):
        space.add_layer(
            layer,
            [
                Operation("conv1d", filters=filters, kernel_size=7, activation="relu"),
                Operation("conv1d", filters=filters, kernel_size=3, activation="relu"),
                Operation("conv1d", filters=filters, kernel_size=3, dilation=4, activation="relu"),
                Operation("maxpool1d", filters=filters, pool_size=3, strides=1),
                Operation("avgpool1d", filters=filters, pool_size=3, strides=1),
                Operation("identity", filters=filters),
            ],
        )
        if layer in REDUCTIONS:  # AMBER infers a reduction where the filter count changes
            filters *= 2
    return space


def io_ops() -> tuple[dict, dict]:
    return (
        {"Layer_type": "input", "shape": (LENGTH, 4), "name": "input"},
        {"Layer_type": "dense", "units": 1, "activation": "sigmoid", "name": "output"},
    )


def describe(space, arc) -> dict:
    """AMBER tokens -> ops per layer and, per layer, the earlier layers it takes skips from."""
    from amber.modeler.architectureDecoder import ResConvNetArchitecture

    ops, skips = ResConvNetArchitecture(model_space=space).decode([int(t) for t in arc])
    return {
        "tokens": [int(t) for t in arc],
        "ops": [SMALL_OPS[int(o)] for o in ops],
        "skips_from": [[]] + [[j for j, s in enumerate(sk) if int(s) == 1] for sk in skips],
    }


class Recorder:
    """Wraps the EnasManager's get_rewards and the supernet's training hooks to time the
    supernet phase (shared weights trained on controller-sampled paths) and log rewards.

    ``supernet_s`` is the whole of each supernet-training call (Lightning Trainer set-up, the
    epoch, the checkpoint Lightning writes after it); ``loop_s`` only the epochs themselves
    (from on_train_epoch_start to on_train_epoch_end: data, sampling a path per minibatch,
    forward, backward, Adam).
    """

    def __init__(self):
        self.supernet_s = 0.0
        self.loop_s = 0.0
        self._loop_start = 0.0
        self.supernet_seqs = 0
        self.supernet_batches = 0
        self.fixed_arc_batches = 0
        self.warmup_s = 0.0
        self.reward_s = 0.0
        self.controller_train_s = 0.0
        self.evaluated: list[dict] = []  # {step, tokens, reward}

    def attach(self, amb) -> None:
        from amber.modeler.supernet import pytorch_supernet

        manager = amb.manager
        get_rewards = manager.get_rewards
        rec = self

        def timed_get_rewards(trial, model_arc=None, nsteps=None):
            start = time.perf_counter()
            out = get_rewards(trial, model_arc, nsteps=nsteps)
            elapsed = time.perf_counter() - start
            if model_arc is None:
                rec.supernet_s += elapsed
                if trial < 0:
                    rec.warmup_s += elapsed
            else:
                rec.reward_s += elapsed
                step = trial // amb.env.max_step_per_ep
                rec.evaluated.append(
                    {"step": step, "tokens": [int(t) for t in model_arc], "reward": float(out[0])}
                )
            return out

        manager.get_rewards = timed_get_rewards
        controller_train = amb.controller.train

        def timed_controller_train():
            start = time.perf_counter()
            out = controller_train()
            rec.controller_train_s += time.perf_counter() - start
            return out

        amb.controller.train = timed_controller_train
        training_step = pytorch_supernet.EnasCnnModelBuilder.training_step

        def counted_training_step(self, batch, batch_idx):
            rec.supernet_seqs += len(batch[0])
            rec.supernet_batches += 1
            # None: this minibatch's path is sampled from the controller (ENAS); else fixed
            rec.fixed_arc_batches += self.fixed_arc is not None
            return training_step(self, batch, batch_idx)

        def epoch_start(self):
            rec._loop_start = time.perf_counter()

        def epoch_end(self):
            rec.loop_s += time.perf_counter() - rec._loop_start

        cls = pytorch_supernet.EnasCnnModelBuilder
        cls.training_step = counted_training_step
        cls.on_train_epoch_start = epoch_start
        cls.on_train_epoch_end = epoch_end

    @property
    def steps_done(self) -> int:
        return len({r["step"] for r in self.evaluated})


def build_amber(args, space, train_loader, valid, workdir: Path):
    """``amber.Amber`` for ENAS: GeneralController, EnasCnnModelBuilder supernet, EnasManager,
    EnasTrainEnv."""
    import torch
    from amber import Amber
    from amber import backend as F
    from amber.backend.pytorch import cache

    inp, out = io_ops()
    types = {
        "controller_type": "GeneralController",
        "modeler_type": "EnasCnnModelBuilder",
        "knowledge_fn_type": "zero",
        "reward_fn_type": "LossAucReward",
        "manager_type": "EnasManager",
        "env_type": "EnasTrainEnv",
    }
    specs = {
        "model_space": space,
        "controller": {"with_skip_connection": True, **CONTROLLER},
        "model_builder": {
            "inputs_op": [inp],
            "outputs_op": [out],
            "model_compile_dict": {
                "loss": "binary_crossentropy",
                "optimizer": (torch.optim.Adam, {"lr": SUPERNET_LR}),
            },
            "reduction_factor": REDUCTION_POOL,
            "with_skip_connection": True,
            "keep_prob": 1.0 - HEAD_DROPOUT,
            "stem_config": {
                "has_stem_conv": True,
                "stem_kernel_size": STEM_KERNEL,
                "flatten_op": "global_avg_pool",
                "fc_units": HEAD_UNITS,
            },
        },
        "knowledge_fn": {"data": None, "params": {}},
        "reward_fn": {"method": "auc"},
        "manager": {
            # (DataLoader, None): AMBER's Model.fit takes a DataLoader as x when y is None
            "data": {"train_data": (train_loader, None), "validation_data": valid},
            "params": {
                "epochs": 1,
                "child_batchsize": BATCH_SIZE,
                "store_fn": None,
                "working_dir": str(workdir),
                "verbose": 0,
            },
        },
        "train_env": {
            "max_episode": args.steps,
            "max_step_per_ep": args.archs_per_step,
            "child_train_steps": args.child_steps,
            "child_warm_up_epochs": args.warmup_epochs,
            "working_dir": str(workdir),
            "with_skip_connection": True,
            "should_plot": False,
            "save_controller": False,
            "verbose": 0,
        },
    }
    # Amber(types, specs) would build everything inside a fresh Session (Amber.__init__ calls
    # F.set_session(F.Session())): see workaround 5 in apply_workarounds.
    amb = Amber(types=types)
    F.set_session(cache.GLOBAL_DEFAULT_GRAPH)
    amb.session = cache.GLOBAL_DEFAULT_GRAPH
    return amb.from_dict(specs)


def choose_best(evaluated: list[dict]) -> dict:
    """AMBER's rule (as genas documents it): best reward among the last controller step."""
    last = max(r["step"] for r in evaluated)
    return max((r for r in evaluated if r["step"] == last), key=lambda r: r["reward"])


def retrain(space, arc, train_loader, valid_loader, workdir: Path, epochs: int):
    """Train ``arc`` from scratch with AMBER's ResidualCnnBuilder through GeneralManager
    (ModelCheckpoint + EarlyStopping on validation loss, best epoch restored); returns
    (trained model, validation AUROC of the restored best epoch, epochs run)."""
    import torch
    from amber.architect.manager import GeneralManager
    from amber.architect.reward import LossAucReward
    from amber.backend import Operation
    from amber.modeler.resnet import ResidualCnnBuilder

    inp, out = io_ops()
    builder = ResidualCnnBuilder(
        inputs_op=Operation(**inp),
        output_op=Operation(**out),
        fc_units=HEAD_UNITS,
        flatten_mode="gap",
        model_compile_dict={
            "loss": "binary_crossentropy",
            "optimizer": (torch.optim.Adam, {"lr": RETRAIN_LR}),
        },
        model_space=space,
        dropout_rate=HEAD_DROPOUT,
        reduction_factor=REDUCTION_POOL,
        verbose=0,
    )
    kept: dict = {}

    def keep_model(model, **_):  # AMBER's store_fn hook: receives the trained child model
        kept["model"] = model
        kept["epochs"] = model.trainer.current_epoch  # epochs run before early stopping

    manager = GeneralManager(
        train_data=(train_loader, None),
        validation_data=valid_loader,
        model_fn=builder,
        reward_fn=LossAucReward(method="auc"),
        store_fn=keep_model,
        working_dir=str(workdir),
        epochs=epochs,
        child_batchsize=BATCH_SIZE,
        fit_kwargs={"earlystop_patience": RETRAIN_PATIENCE},
        verbose=0,
    )
    reward, _ = manager.get_rewards(trial=0, model_arc=[int(t) for t in arc])
    return kept["model"], float(reward), int(kept["epochs"])


def versions() -> dict:
    names = ["amber-automl", "torch", "pytorch-lightning", "torchmetrics", "numpy", "scikit-learn"]
    return {n: metadata.version(n) for n in names}


# Install-time problems that setup_amber.sh's pins solve (recorded in the JSON too).
SETUP_WORKAROUNDS = [
    {
        "what_broke": "amber-automl declares only numpy, matplotlib, tqdm and packaging; its "
        "PyTorch backend also imports pandas, seaborn, h5py, scikit-learn, "
        "pytorch_lightning, torchmetrics and torch.testing._internal (which needs "
        "expecttest)",
        "error": "ModuleNotFoundError: No module named 'pandas' (then 'seaborn', 'expecttest')",
        "workaround": "setup_amber.sh installs them",
    },
    {
        "what_broke": "pytorch-lightning >= 1.9 removed pytorch_lightning.loggers.base, which "
        "amber/backend/pytorch/utils.py imports (2.x also drops the *_epoch_end "
        "hooks AMBER's Model overrides)",
        "error": "ModuleNotFoundError: No module named 'pytorch_lightning.loggers.base'",
        "workaround": "pin pytorch-lightning==1.8.6 (with torchmetrics==0.11.4)",
    },
    {
        "what_broke": "lightning_lite (inside pytorch-lightning 1.8) declares a namespace package "
        "with pkg_resources, which setuptools >= 81 no longer ships",
        "error": "ModuleNotFoundError: No module named 'pkg_resources'",
        "workaround": "pin setuptools<81 in the venv",
    },
    {
        "what_broke": "NumPy: pytorch-lightning 1.8 uses np.Inf (removed in NumPy 2.0) and "
        "amber/backend/backend.py annotates a function with np.bool (removed in "
        "NumPy 1.24, back only in 2.0)",
        "error": "AttributeError: `np.Inf` was removed in the NumPy 2.0 release (numpy 2.x); "
        "AttributeError: module 'numpy' has no attribute 'bool' (numpy 1.26)",
        "workaround": "pin numpy==1.23.5, the last release with both (and pandas<3, scipy<1.12, "
        "scikit-learn<1.6, which still install with it)",
    },
    {
        "what_broke": "amber/plots/plotsV1.py plot_controller_performance calls "
        "plt.grid(b=True, ...) at the end of EnasTrainEnv.train",
        "error": "ValueError: keyword grid_b is not recognized (matplotlib 3.8)",
        "workaround": "pin matplotlib<3.7 (the `b` argument was removed in 3.7)",
    },
]


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="2 steps x 2 archs, 1 warm-up epoch, 2 retrain epochs"
    )
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=SEARCH["steps"])
    p.add_argument("--child-steps", type=int, default=SEARCH["child_steps"])
    p.add_argument("--archs-per-step", type=int, default=SEARCH["archs_per_step"])
    p.add_argument("--warmup-epochs", type=int, default=SEARCH["warmup_epochs"])
    p.add_argument("--retrain-epochs", type=int, default=RETRAIN_EPOCHS)
    p.add_argument("--no-rc-augment", dest="rc_augment", action="store_false")
    p.add_argument("--data-dir", type=Path, default=DATA)
    p.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="AMBER's working folder, kept (default: a temporary one, removed)",
    )
    args = p.parse_args(argv)
    args.data_dir = args.data_dir.resolve()  # before the chdir below
    if args.quick:
        args.steps, args.archs_per_step, args.warmup_epochs, args.retrain_epochs = 2, 2, 1, 2

    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    warnings.filterwarnings("ignore")
    for name in ("pytorch_lightning", "lightning_lite", "AMBER", "matplotlib.font_manager"):
        logging.getLogger(name).setLevel(logging.ERROR)

    import amber  # noqa: F401  (after the environment variables above)
    from amber import backend as F
    from sklearn.metrics import roc_auc_score

    if F.mod_name != "pytorch":
        sys.exit(f"AMBER loaded backend {F.mod_name!r}, expected pytorch")
    apply_workarounds()

    # data: 10 % of train held out (seeded) for the reward and early stopping, as genas does
    x, y = load_split(args.data_dir, "nfe2.tr.fa", "nfe2.neg.tr.fa")
    x_test, y_test = load_split(args.data_dir, "nfe2.test.fa", "nfe2.neg.test.fa")
    order = np.random.default_rng(args.seed).permutation(len(x))
    n_valid = int(round(VALID_FRACTION * len(x)))
    vi, ti = order[:n_valid], order[n_valid:]
    x_tr, y_tr, x_va, y_va = x[ti], y[ti], x[vi], y[vi]
    gen = torch.Generator().manual_seed(args.seed)
    train_loader = torch.utils.data.DataLoader(
        RcAugmented(x_tr, y_tr, args.rc_augment),
        batch_size=BATCH_SIZE,
        shuffle=True,
        generator=gen,
    )
    valid_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x_va), torch.from_numpy(y_va)),
        batch_size=256,
    )
    print(
        f"NFE2: train {len(x_tr)}, valid {len(x_va)}, test {len(x_test)} x {LENGTH} bp; "
        f"{len(train_loader)} minibatches of {BATCH_SIZE} per supernet epoch"
    )

    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="amber-nfe2-"))).resolve()
    for sub in ("search", "retrain", "lightning_logs"):  # AMBER would reuse stale checkpoints
        shutil.rmtree(workdir / sub, ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)  # Lightning writes lightning_logs/ checkpoints into the current directory
    space = small_model_space()
    amb = build_amber(args, space, train_loader, (x_va, y_va), workdir / "search")
    rec = Recorder()
    rec.attach(amb)

    start = time.perf_counter()
    amb.run()
    search_s = time.perf_counter() - start
    best = choose_best(rec.evaluated)
    arch = describe(space, best["tokens"])

    torch.manual_seed(args.seed)
    start = time.perf_counter()
    model, valid_auroc, retrain_epochs_run = retrain(
        space,
        best["tokens"],
        train_loader,
        valid_loader,
        workdir / "retrain",
        args.retrain_epochs,
    )
    retrain_s = time.perf_counter() - start
    pred = model.predict(x_test, batch_size=256)
    test_auroc = float(roc_auc_score(y_test[:, 0], pred[:, 0]))
    os.chdir(ROOT)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)

    figures = {
        "search_seconds": search_s,
        "controller_steps_done": rec.steps_done,
        "architectures_scored": len(rec.evaluated),
        "supernet_seconds": rec.supernet_s,
        "supernet_sequences": rec.supernet_seqs,
        "supernet_sequences_per_s": rec.supernet_seqs / rec.supernet_s,
        "supernet_epoch_loop_seconds": rec.loop_s,
        "supernet_epoch_loop_sequences_per_s": rec.supernet_seqs / rec.loop_s,
        "supernet_minibatches": rec.supernet_batches,
        "supernet_minibatches_on_a_fixed_path": rec.fixed_arc_batches,
        "warmup_seconds": rec.warmup_s,
        "reward_eval_seconds": rec.reward_s,
        "controller_train_seconds": rec.controller_train_s,
        "other_seconds": search_s - rec.supernet_s - rec.reward_s - rec.controller_train_s,
        "retrain_seconds": retrain_s,
        "retrain_epochs_run": retrain_epochs_run,
        "best_reward_valid_auroc": best["reward"],
        "retrain_valid_auroc": valid_auroc,
        "test_auroc": test_auroc,
    }
    report(args, figures, arch, best, len(x_tr), len(x_va), len(x_test))
    return figures


def report(
    args, fig: dict, arch: dict, best: dict, n_train: int, n_valid: int, n_test: int
) -> None:
    """Print the tables and write benchmarks/results/amber_peer.json (common.write_result)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from common import print_table, write_result

    main_table = {
        "title": f"AMBER {metadata.version('amber-automl')} (PyTorch backend) ENAS search on "
        f"NFE2, genas `small` space, {args.threads} thread(s)",
        "columns": [
            "controller steps",
            "archs scored",
            "search s",
            "supernet s",
            "supernet seqs",
            "supernet seqs/s",
            "epoch-loop seqs/s",
            "reward eval s",
            "controller train s",
            "best reward (valid AUROC)",
            "retrain s",
            "retrain epochs",
            "retrain valid AUROC",
            "test AUROC",
        ],
        "rows": [
            [
                fig["controller_steps_done"],
                fig["architectures_scored"],
                round(fig["search_seconds"], 1),
                round(fig["supernet_seconds"], 1),
                fig["supernet_sequences"],
                round(fig["supernet_sequences_per_s"], 1),
                round(fig["supernet_epoch_loop_sequences_per_s"], 1),
                round(fig["reward_eval_seconds"], 1),
                round(fig["controller_train_seconds"], 1),
                round(fig["best_reward_valid_auroc"], 4),
                round(fig["retrain_seconds"], 1),
                fig["retrain_epochs_run"],
                round(fig["retrain_valid_auroc"], 4),
                round(fig["test_auroc"], 4),
            ]
        ],
    }
    arch_table = {
        "title": f"AMBER's chosen architecture (best reward of controller step {best['step']})",
        "columns": ["layer", "op", "skips from layers"],
        "rows": [
            [i, op, ", ".join(map(str, sk)) or "–"]
            for i, (op, sk) in enumerate(zip(arch["ops"], arch["skips_from"], strict=True))
        ],
    }
    workarounds = WORKAROUNDS + SETUP_WORKAROUNDS
    work_table = {
        "title": "What broke in AMBER 0.1.5 on current libraries, and the workaround",
        "columns": ["#", "what broke", "workaround"],
        "rows": [[i + 1, w["what_broke"], w["workaround"]] for i, w in enumerate(workarounds)],
    }
    tables = [main_table, arch_table, work_table]
    for t in tables:
        print_table(t)
    command = [
        "benchmarks/peers/.venv-amber/bin/python",
        "benchmarks/peers/amber_nfe2.py",
        *sys.argv[1:],
    ]
    path = write_result(
        "amber_peer",
        "Peer: the original AMBER on NFE2",
        tables,
        quick=args.quick,
        notes=[
            "Run in AMBER's own venv (benchmarks/peers/setup_amber.sh): amber-automl 0.1.5 with "
            "pytorch-lightning 1.8.6 and NumPy 1.23.5 on the genas torch build.",
            "supernet s: every supernet-training call of the search (warm-up included): "
            "Lightning Trainer set-up, the epoch, and the checkpoint Lightning saves after each "
            "call; epoch-loop seqs/s counts only the epochs themselves.",
            "AMBER's PyTorch Model.fit ignores nsteps (child_train_steps), so each controller "
            f"step trains one full supernet epoch ({-(-n_train // BATCH_SIZE)} minibatches of "
            f"{BATCH_SIZE}; genas child_steps {args.child_steps}).",
            "Each Model.fit builds a new Lightning Trainer and a new Adam optimiser, so the "
            "supernet's Adam state restarts every controller step (AMBER behaviour, kept).",
            "Retrain: AMBER's ResidualCnnBuilder (its stem conv is k7, hard-coded; the "
            "supernet's stem is k8 as in genas) via GeneralManager, early stopping on valid loss "
            f"(patience {RETRAIN_PATIENCE}), at most {args.retrain_epochs} epochs, best epoch "
            "restored; test AUROC from sklearn on the NFE2 test files.",
        ],
        extra={
            "command": " ".join(command),
            "versions": versions(),
            "threads": args.threads,
            "data": {
                "train": n_train,
                "valid": n_valid,
                "test": n_test,
                "length": LENGTH,
                "rc_augment": args.rc_augment,
            },
            "config": {
                "steps": args.steps,
                "child_steps": args.child_steps,
                "archs_per_step": args.archs_per_step,
                "warmup_epochs": args.warmup_epochs,
                "supernet_batch_size": BATCH_SIZE,
                "supernet_lr": SUPERNET_LR,
                "controller": CONTROLLER,
                "retrain_epochs": args.retrain_epochs,
                "retrain_patience": RETRAIN_PATIENCE,
                "retrain_lr": RETRAIN_LR,
                "seed": args.seed,
                "space": {
                    "ops": SMALL_OPS,
                    "n_layers": N_LAYERS,
                    "filters": FILTERS,
                    "reductions": list(REDUCTIONS),
                    "reduction_pool": REDUCTION_POOL,
                    "stem_kernel": STEM_KERNEL,
                    "head": f"global average pool, dense {HEAD_UNITS}, dropout {HEAD_DROPOUT}",
                },
            },
            "figures": fig,
            "best_architecture": {**arch, "step": best["step"], "reward": best["reward"]},
            "workarounds": workarounds,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
