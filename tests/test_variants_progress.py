"""`vep` reports its progress on long work: variants (or pairs) scored so far and the rate."""

from __future__ import annotations

import re

from variants_support import genome_sequences, save_tiny_model, write_genome, write_vcf

from genas.seq.fasta import FastaRecord, write_fasta
from genas.workflows.vep_run import vep_run


def test_vep_prints_progress_per_chunk_and_is_quiet_by_default(tmp_path):
    run = save_tiny_model(tmp_path / "run")
    c1 = genome_sequences()["chr1"].upper()
    lines = [f"chr1\t{pos}\t.\t{c1[pos - 1]}\t{'A' if c1[pos - 1] != 'A' else 'C'}\t.\t.\t."
             for pos in range(20, 60, 4)]  # fmt: skip
    vcf = write_vcf(tmp_path / "v.vcf", lines)
    genome = write_genome(tmp_path)
    log: list[str] = []
    summary = vep_run(run, tmp_path / "e.tsv", vcf=vcf, genome=genome, batch_size=4,
                      progress=log.append, progress_every_s=0.0)  # fmt: skip
    assert summary.scored == 10
    counts = [int(re.match(r"vep: ([\d,]+) variants scored \([\d,]+ per s\)$", line).group(1))
              for line in log]  # fmt: skip
    assert counts == [4, 8, 10]  # a line per chunk of batch_size variants
    quiet: list[str] = []
    ref = [FastaRecord(f"p{i}", c1[i * 20 : i * 20 + 11]) for i in range(3)]
    write_fasta(tmp_path / "ref.fa", ref)
    write_fasta(tmp_path / "alt.fa", [FastaRecord(r.name, "C" + r.sequence[1:]) for r in ref])
    vep_run(run, tmp_path / "p.tsv", ref_fasta=tmp_path / "ref.fa", alt_fasta=tmp_path / "alt.fa",
            progress=quiet.append)  # fmt: skip
    assert quiet == []  # the default: a line every 10 s, and this took less
