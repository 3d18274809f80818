"""genas.space: model spaces, operations and architectures (plain Python, no torch).

>>> from genas.space import get_space, Architecture
>>> space = get_space("amber-deepsea")
>>> space.n_layers, space.n_tokens
(12, 78)
"""

from genas.space.architecture import Architecture
from genas.space.model_space import HEAD_TYPES, Head, ModelSpace, Stem
from genas.space.operation import ACTIVATIONS, BUILDABLE_TYPES, Operation
from genas.space.presets import PRESET_DIR, get_space, list_presets
from genas.space.sampling import mutate_architecture, sample_architecture, token_choices

__all__ = [
    "ACTIVATIONS",
    "BUILDABLE_TYPES",
    "HEAD_TYPES",
    "PRESET_DIR",
    "Architecture",
    "Head",
    "ModelSpace",
    "Operation",
    "Stem",
    "get_space",
    "list_presets",
    "mutate_architecture",
    "sample_architecture",
    "token_choices",
]
