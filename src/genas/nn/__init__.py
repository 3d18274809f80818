"""genas.nn: PyTorch networks — op blocks, child network, supernet, reference architectures.

Every model maps float32 one-hot (N, 4, L) to logits (N, T); training uses BCE with logits.
"""

from genas.nn.build import build_model, count_parameters
from genas.nn.ensemble import Ensemble
from genas.nn.model_file import LoadedModel, load_model, save_model
from genas.nn.network import ArchNetwork, ChildNet, SuperNet, needed_reductions, scaled_filters
from genas.nn.ops import Reduction, SameConv1d, SamePool1d, Stem, build_op, same_padding
from genas.nn.references import REFERENCES, basset, danq, deepbind, deepsea, minimum_length
from genas.nn.summary import describe_layers, forward_flops

__all__ = [
    "REFERENCES",
    "ArchNetwork",
    "ChildNet",
    "Ensemble",
    "LoadedModel",
    "Reduction",
    "SameConv1d",
    "SamePool1d",
    "Stem",
    "SuperNet",
    "basset",
    "build_model",
    "build_op",
    "count_parameters",
    "danq",
    "deepbind",
    "deepsea",
    "describe_layers",
    "forward_flops",
    "load_model",
    "minimum_length",
    "needed_reductions",
    "same_padding",
    "save_model",
    "scaled_filters",
]
