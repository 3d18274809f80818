"""The sections of the HTML report, each built from what a run folder holds and what the
workflow (`genas.workflows.report_run`) loaded and computed; none runs an analysis itself."""

from genas.report.sections.architecture import architecture_section
from genas.report.sections.attributions import Attributions, attribution_section
from genas.report.sections.common import Figures, TrainedModel, spread_tasks, task_metrics
from genas.report.sections.comparison import comparison_rows, comparison_section
from genas.report.sections.motifs import MotifAnalysis, motif_section
from genas.report.sections.performance import PredictedTestSet, performance_section
from genas.report.sections.search import search_section
from genas.report.sections.summary import summary_section

__all__ = [
    "Attributions",
    "Figures",
    "MotifAnalysis",
    "PredictedTestSet",
    "TrainedModel",
    "architecture_section",
    "attribution_section",
    "comparison_rows",
    "comparison_section",
    "motif_section",
    "performance_section",
    "search_section",
    "spread_tasks",
    "summary_section",
    "task_metrics",
]
