"""Torch datasets and loaders over sequence sources (FASTA, table, BED + genome with peaks or
bigWig signal, DeepSEA ``.mat``, genas HDF5), the synthetic benchmark generator and motif
databases."""

from genas.data.dataset import ArrayDataset, ChunkedDataset, DataSplits, HDF5Dataset
from genas.data.encoding import encode_records, fit_onehot
from genas.data.hdf5 import read_hdf5_info, write_hdf5
from genas.data.inputs import iter_prediction_input, load_prediction_input
from genas.data.loader import BatchLoader, make_loader
from genas.data.splits import hold_out, load_splits, require_validation

__all__ = [
    "ArrayDataset",
    "BatchLoader",
    "ChunkedDataset",
    "DataSplits",
    "HDF5Dataset",
    "encode_records",
    "fit_onehot",
    "hold_out",
    "iter_prediction_input",
    "load_prediction_input",
    "load_splits",
    "make_loader",
    "read_hdf5_info",
    "require_validation",
    "write_hdf5",
]
