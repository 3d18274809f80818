"""Variant effects -> S-LDSC annotation files, and the checks of annotation files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from genas.analysis.heritability.annotate import (
    annotation_sets,
    base_annotation,
    read_annot,
    read_effects,
    read_groups,
)
from genas.analysis.heritability.panel import resolve_panel
from genas.analysis.heritability.plink import Bim, write_panel
from genas.errors import InputError
from genas.workflows.heritability_run import annotate_step

LONG_HEADER = "chrom\tpos\tid\tref\talt\tref_match\ttask\tref_prob\talt_prob\tdiff\tabs_diff\n"


@pytest.fixture()
def panel(tmp_path):
    """Chromosome 1: rs1..rs3 at 100/200/300; chromosome 2: rs4, rs5 at 100/200."""
    for chrom, snps in (("1", ["rs1", "rs2", "rs3"]), ("2", ["rs4", "rs5"])):
        m = len(snps)
        bp = np.arange(1, m + 1, dtype=np.int64) * 100
        bim = Bim(
            np.array([chrom] * m),
            np.array(snps),
            bp / 1e6,
            bp,
            np.array(["A"] * m),
            np.array(["C"] * m),
        )
        write_panel(
            tmp_path / f"panel.{chrom}", np.zeros((4, m), dtype=np.int8), bim, ["a", "b", "c", "d"]
        )
    return tmp_path / "panel"


def _long(path, rows):
    lines = [LONG_HEADER]
    for chrom, pos, snp, task, diff in rows:
        lines.append(f"{chrom}\t{pos}\t{snp}\tA\tC\tTrue\t{task}\t0.5\t0.5\t{diff}\t{abs(diff)}\n")
    path.write_text("".join(lines))
    return path


def _annot(path):
    with gzip.open(path, "rt") as fh:
        return [line.rstrip("\n").split("\t") for line in fh]


def test_long_table_group_max_abs(panel, tmp_path):
    effects = _long(
        tmp_path / "e.tsv",
        [
            ("chr1", 100, "rs1", "t1", -0.9),
            ("chr1", 100, "rs1", "t2", 0.1),
            ("chr1", 200, "rs2", "t1", 0.2),
            ("chr1", 200, "rs2", "t2", -0.4),
            ("chr2", 100, ".", "t1", 0.3),  # no id: matched by position
            ("chr2", 999, "rs99", "t1", 1.0),  # not in the panel
        ],
    )
    groups = tmp_path / "tasks.tsv"
    groups.write_text("task\tgroup\tnote\nt1\tTF\tx\nt2\tTF\tx\n")
    summary = annotate_step(effects, panel, tmp_path / "out" / "a", groups=groups)
    rows = _annot(tmp_path / "out" / "a.1.annot.gz")
    assert rows[0] == ["CHR", "BP", "SNP", "CM", "TF"]
    assert [r[2] for r in rows[1:]] == ["rs1", "rs2", "rs3"]
    assert [float(r[4]) for r in rows[1:]] == [0.9, 0.4, 0.0]
    rows2 = _annot(tmp_path / "out" / "a.2.annot.gz")
    assert [float(r[4]) for r in rows2[1:]] == [0.3, 0.0]
    assert (summary.n_panel_snps, summary.n_matched, summary.n_effects_not_in_panel) == (5, 3, 1)


def test_per_task_binary_top_fraction(panel, tmp_path):
    effects = _long(
        tmp_path / "e.tsv",
        [
            ("1", 100, "rs1", "t1", 0.9),
            ("1", 200, "rs2", "t1", 0.5),
            ("1", 300, "rs3", "t1", 0.1),
            ("2", 100, "rs4", "t1", 0.7),
            ("2", 200, "rs5", "t1", 0.0),
            ("1", 100, "rs1", "t2", 0.0),
            ("2", 100, "rs4", "t2", 0.2),
        ],
    )
    summary = annotate_step(effects, panel, tmp_path / "b", by="task", top=0.4)
    ones = [
        r[4:] for r in _annot(tmp_path / "b.1.annot.gz")[1:] + _annot(tmp_path / "b.2.annot.gz")[1:]
    ]
    # t1: top 2 of 5 SNPs are rs1 (0.9) and rs4 (0.7); t2: only rs4 has a positive value.
    assert ones == [["1", "0"], ["0", "0"], ["0", "0"], ["1", "1"], ["0", "0"]]
    assert summary.annotations["t1"] == {"snps_annotated": 2, "fraction": 0.4}


def test_wide_table_all_tasks(panel, tmp_path):
    wide = tmp_path / "w.tsv"
    wide.write_text(
        "chrom\tpos\tid\tref\talt\tref_match\tt1.diff\tt1.abs_diff\tt2.diff\tt2.abs_diff\n"
        "1\t100\trs1\tA\tC\tTrue\t-0.5\t0.5\t0.1\t0.1\n"
        "1\t300\trs3\tA\tC\tTrue\t0.2\t0.2\t-0.6\t0.6\n"
        "2\t200\trs5\tA\tC\tTrue\tNA\tNA\t0.3\t0.3\n"
    )
    table = read_effects(wide)
    assert set(table.scores) == {"t1", "t2"} and table.n_missing == 1
    annotate_step(wide, panel, tmp_path / "c", by="all")
    rows = _annot(tmp_path / "c.1.annot.gz") + _annot(tmp_path / "c.2.annot.gz")[1:]
    assert rows[0][4] == "all_tasks"
    assert [float(r[4]) for r in rows[1:]] == [0.5, 0.0, 0.6, 0.0, 0.3]


def test_group_column_in_the_table(panel, tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(
        "chrom\tpos\tid\ttask\tgroup\tabs_diff\n1\t100\trs1\tt1\tDNase I\t0.4\n"
        "2\t100\trs4\tt1\tDNase I\t0.2\n"
    )
    table = read_effects(path)
    assert annotation_sets(table, "group") == {"DNase_I": ["t1"]}


def test_effect_table_errors(panel, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("chrom\tpos\tid\ttask\tdiff\n1\t100\trs1\tt1\t0.3\n")
    with pytest.raises(InputError, match=r"bad.tsv:1: no score column 'abs_diff'"):
        read_effects(bad)
    bad.write_text("chrom\tid\ttask\tabs_diff\n")
    with pytest.raises(InputError, match="no column 'pos'"):
        read_effects(bad)
    bad.write_text("chrom\tpos\tid\ttask\tabs_diff\n1\t100\trs1\tt1\thigh\n")
    with pytest.raises(InputError, match=r"bad.tsv:2: column 'abs_diff': not a number: 'high'"):
        read_effects(bad)
    bad.write_text("chrom\tpos\tid\ttask\tabs_diff\n1\tx\trs1\tt1\t0.1\n")
    with pytest.raises(InputError, match=r"bad.tsv:2: column 'pos': not an integer"):
        read_effects(bad)
    bad.write_text("chrom\tpos\tid\tref\n1\t100\trs1\tA\n")
    with pytest.raises(InputError, match="no 'task' column"):
        read_effects(bad)


def test_missing_chromosome_and_groups(panel, tmp_path):
    only_chr1 = _long(tmp_path / "e.tsv", [("1", 100, "rs1", "t1", 0.5)])
    with pytest.raises(InputError, match=r"e.tsv: no variant effects for chromosome 2"):
        annotate_step(only_chr1, panel, tmp_path / "x", by="task")
    table = read_effects(only_chr1)
    with pytest.raises(InputError, match="needs a task -> group table"):
        annotation_sets(table, "group")
    with pytest.raises(InputError, match="task 't1' has no group"):
        annotation_sets(table, "group", {"t9": "TF"})
    (tmp_path / "g.tsv").write_text("name\tgroup\n")
    with pytest.raises(InputError, match="needs columns 'task' and 'group'"):
        read_groups(tmp_path / "g.tsv")


def test_read_annot_checks_rows_against_the_bim(panel, tmp_path):
    panels = resolve_panel(panel)
    base_annotation(panels, tmp_path / "base")
    bim, bim_path = panels.bim("1"), panels.bim_path("1")
    names, values = read_annot(tmp_path / "base.1.annot.gz", bim, bim_path)
    assert names == ["base"] and values.shape == (3, 1) and values.sum() == 3

    def write(lines):
        with gzip.open(tmp_path / "t.1.annot.gz", "wt") as fh:
            fh.write("CHR\tBP\tSNP\tCM\tx\n" + "".join(lines))

    write(["1\t100\trs1\t0\t1\n", "1\t300\trs3\t0\t1\n", "1\t200\trs2\t0\t1\n"])
    with pytest.raises(
        InputError,
        match=r"t.1.annot.gz:3: SNP rs3 does not match the panel: "
        r".*panel.1.bim line 2 has rs2",
    ):
        read_annot(tmp_path / "t.1.annot.gz", bim, bim_path)
    write(["1\t100\trs1\t0\t1\n", "1\t200\trs2\t0\t1\n"])
    with pytest.raises(InputError, match=r"has 2 SNPs, .*panel.1.bim has 3 \(first missing: rs3\)"):
        read_annot(tmp_path / "t.1.annot.gz", bim, bim_path)
    write(["1\t100\trs1\t0\t1\n", "1\t200\trs2\t0\tyes\n", "1\t300\trs3\t0\t1\n"])
    with pytest.raises(InputError, match=r":3: column 'x': not a number: 'yes'"):
        read_annot(tmp_path / "t.1.annot.gz", bim, bim_path)
    with pytest.raises(InputError, match="annotation file not found"):
        read_annot(tmp_path / "t.2.annot.gz", bim, bim_path)
