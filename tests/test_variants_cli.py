"""`genas vep` and `genas vep-benchmark` end to end, bad input, and `simulate --motifs`."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner
from variants_support import genome_sequences, save_tiny_model, write_genome, write_vcf

from genas.cli import app
from genas.seq.fasta import FastaRecord, write_fasta

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("vep_cli")
    c1 = genome_sequences()["chr1"].upper()
    vcf = write_vcf(
        root / "v.vcf",
        [
            f"chr1\t30\trs1\t{c1[29]}\tA,T\t.\t.\t.",
            f"chr1\t60\t.\t{c1[59]}\tGG\t.\t.\t.",
            "chrZ\t5\t.\tA\tC\t.\t.\t.",
        ],
    )
    ref = [FastaRecord(f"p{i}", c1[i * 20 : i * 20 + 11]) for i in range(5)]
    alt = [FastaRecord(r.name, r.sequence[:5] + "C" + r.sequence[6:]) for r in ref]
    write_fasta(root / "ref.fa", ref)
    write_fasta(root / "alt.fa", alt)
    return {
        "root": root,
        "run": str(save_tiny_model(root / "run")),
        "genome": str(write_genome(root)),
        "vcf": str(vcf),
        "ref": str(root / "ref.fa"),
        "alt": str(root / "alt.fa"),
    }


def ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def fails(args, *expected):
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output
    return result


def test_vep_vcf_to_tsv_with_summary(files):
    out = files["root"] / "effects.tsv"
    args = ["vep", files["run"], "--vcf", files["vcf"], "--genome", files["genome"], "-o", str(out)]
    result = ok([*args, "--rc"])
    assert "read 3 records (4 alleles): 3 scored, 1 skipped (chrom_missing 1)" in result.output
    assert "chrZ" in result.output
    table = pd.read_csv(out, sep="\t")
    assert len(table) == 3 * 2 and table["ref_match"].all()


def test_vep_pairs_and_benchmark(files):
    out = files["root"] / "pairs.parquet"
    pair_args = ["--ref-fasta", files["ref"], "--alt-fasta", files["alt"]]
    result = ok(["vep", files["run"], *pair_args, "-o", str(out), "--wide"])
    assert "read 5 pairs: 5 scored" in result.output
    table = pd.read_parquet(out)
    assert table["ref_name"].tolist() == [f"p{i}" for i in range(5)]
    report_path = files["root"] / "report.json"
    result = ok(
        ["vep-benchmark", str(out), "--task", "taskA", "--favoured", "alt", "-o", str(report_path)]
    )
    assert "accuracy" in result.output and "p-value" in result.output
    report = json.loads(report_path.read_text())
    assert report["n_compared"] == 5 and [m["margin"] for m in report["margins"]] == [0, 0.05, 0.1]
    fails(["vep-benchmark", str(out), "--task", "nope", "--favoured", "alt"], "unknown task")
    fails(["vep-benchmark", str(out), "--task", "taskA", "--favoured", "alt", "--margins", "x"])


def test_vep_bad_input(files, tmp_path):
    run, genome, vcf = files["run"], files["genome"], files["vcf"]
    out = str(tmp_path / "e.tsv")
    fails(["vep", run, "--vcf", vcf, "-o", out], "--vcf needs --genome")
    fails(["vep", run, "-o", out], "give either --vcf")
    fails(["vep", run, "--vcf", vcf, "--genome", genome, "--ref-fasta", vcf, "-o", out])
    fails(["vep", run, "--vcf", vcf, "--genome", genome, "-o", str(tmp_path / "e.csv")], "format")
    fails(["vep", run, "--vcf", vcf, "--genome", genome, "-o", out, "--on-mismatch", "x"])
    fails(["vep", str(tmp_path), "--vcf", vcf, "--genome", genome, "-o", out], "not found")
    bad = write_vcf(tmp_path / "bad.vcf", ["chr1\t10\t.\tA\tC\t.\t.\t.", "chr1\tten\t.\tA\tC"])
    fails(["vep", run, "--vcf", str(bad), "--genome", genome, "-o", out], f"{bad}:6:")
    c1 = genome_sequences()["chr1"].upper()
    wrong = "A" if c1[9] != "A" else "C"
    mismatch = write_vcf(tmp_path / "mm.vcf", [f"chr1\t10\t.\t{wrong}\tT\t.\t.\t."])
    args = ["vep", run, "--vcf", str(mismatch), "--genome", genome, "-o", out]
    fails([*args, "--on-mismatch", "error"], f"{mismatch}:5:", "does not match the genome")
    done = [*args[:-1], str(tmp_path / "ok.tsv")]
    assert "1 with REF not matching the genome" in ok(done).output
    assert "1 skipped (ref_mismatch 1)" in ok([*done, "--on-mismatch", "skip"]).output
    short = tmp_path / "short.fa"
    write_fasta(short, [FastaRecord("p0", "ACGTACGTACG")])
    fails(
        ["vep", run, "--ref-fasta", files["ref"], "--alt-fasta", str(short), "-o", out],
        "5 records but",
    )
    assert not (tmp_path / "e.tsv").exists()  # failed commands leave no output


def test_simulate_with_chosen_motifs(tmp_path):
    out = tmp_path / "sim"
    args = ["simulate", str(out), "--tasks", "1", "--length", "40", "--n-train", "20"]
    ok([*args, "--n-valid", "10", "--n-test", "10", "--motifs", "MA0139"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert [m["id"] for m in manifest["motifs"]] == ["MA0139.2"]
    assert [t["name"] for t in manifest["tasks"]] == ["presence_CTCF"]
    fails([*args, "--motifs", "MA9999"], "simulate:", "MA9999")
