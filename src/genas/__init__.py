"""genas: neural architecture search for genomic sequence models (AMBER in PyTorch).

The trained model of a run folder is the package's front door: ``genas.load_model(RUN_DIR)``
(and ``genas.save_model`` / ``genas.LoadedModel``), from :mod:`genas.nn.model_file`.
"""

from typing import Any

__version__ = "0.1.0"

#: Names served from :mod:`genas.nn.model_file` on first use: importing them here would load
#: torch for every ``import genas.<module>``, the torch-free ones (config, errors) included.
_MODEL_FILE_NAMES = ("LoadedModel", "load_model", "save_model")

__all__ = ["__version__", *_MODEL_FILE_NAMES]


def __getattr__(name: str) -> Any:
    """``genas.load_model`` and its kin, imported when first asked for (PEP 562)."""
    if name in _MODEL_FILE_NAMES:
        from genas.nn import model_file

        return getattr(model_file, name)
    raise AttributeError(f"module 'genas' has no attribute {name!r}")
