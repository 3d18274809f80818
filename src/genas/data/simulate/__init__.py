"""Synthetic DeepSEA-shaped benchmark: JASPAR motifs planted in background sequence, tasks
defined by rules over them (presence, pair within a gap window, at least k copies).

``simulate(out_dir, ...)`` writes genas HDF5, DeepSEA ``.mat`` files, ``tasks.tsv`` and
``manifest.json``; see :mod:`genas.data.simulate.generate`.
"""

from genas.data.simulate.background import MarkovBackground, fit_markov_fasta, iid_background
from genas.data.simulate.generate import simulate
from genas.data.simulate.rules import TaskRule, design_tasks, rule_labels
from genas.data.simulate.sites import Sites

__all__ = [
    "MarkovBackground",
    "Sites",
    "TaskRule",
    "design_tasks",
    "fit_markov_fasta",
    "iid_background",
    "rule_labels",
    "simulate",
]
