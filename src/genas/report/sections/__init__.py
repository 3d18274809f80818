"""The sections of the HTML report, each built from what a run folder holds and what the
workflow (`genas.workflows.report_run`) loaded and computed; none runs an analysis itself."""

from genas.report.sections.architecture import architecture_section
from genas.report.sections.attributions import Attributions, attribution_section
from genas.report.sections.common import (
    RANKING_METRIC,
    Figures,
    TrainedModel,
    run_task_type,
    split_metrics,
    spread_tasks,
    task_metrics,
)
from genas.report.sections.comparison import comparison_rows, comparison_section
from genas.report.sections.data import (
    ClassCounts,
    LabelCounts,
    TargetSummary,
    count_classes,
    count_labels,
    counts_from_metrics,
    data_section,
    summarise_targets,
)
from genas.report.sections.motifs import MotifAnalysis, motif_section
from genas.report.sections.pareto import pareto_section
from genas.report.sections.performance import PredictedTestSet, performance_section
from genas.report.sections.provenance import provenance_section
from genas.report.sections.search import search_section
from genas.report.sections.summary import summary_section
from genas.report.sections.training import training_section

__all__ = [
    "RANKING_METRIC",
    "Attributions",
    "ClassCounts",
    "Figures",
    "LabelCounts",
    "MotifAnalysis",
    "PredictedTestSet",
    "TargetSummary",
    "TrainedModel",
    "architecture_section",
    "attribution_section",
    "comparison_rows",
    "comparison_section",
    "count_classes",
    "count_labels",
    "counts_from_metrics",
    "data_section",
    "motif_section",
    "performance_section",
    "provenance_section",
    "run_task_type",
    "pareto_section",
    "search_section",
    "split_metrics",
    "spread_tasks",
    "summarise_targets",
    "summary_section",
    "task_metrics",
    "training_section",
]
