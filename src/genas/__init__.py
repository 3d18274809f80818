"""genas: neural architecture search for genomic sequence models (AMBER in PyTorch)."""

__version__ = "0.1.0"
