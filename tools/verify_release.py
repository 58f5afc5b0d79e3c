"""Verify lrplot on a real torch release as a user runs it: the CLI in that release's venv.

For every shipped config (configs/**/*.yaml), the resume/milestone edge cases of
lrplot.plan.release_cases (one config drawing every case) and the README's example, the
CLI writes a CSV with ``--engine auto`` and with ``--engine torch`` (stepping that torch);
the two files must be byte-identical, or both runs refuse the input with the same line.
Each auto run reports whether ``torch`` ended up in ``sys.modules``; against the torch
2.13 run (the release CI has) that must not change. The README's quick-start command must
write its figure. Usage::

    python tools/verify_release.py /work/torchvenvs/2.8.0 [/work/torchvenvs/2.4.1 ...]

Each venv needs torch and lrplot's dependencies (not lrplot itself: this checkout is put on
PYTHONPATH). Results go to docs/releases.json (one entry per torch release, replaced on a
re-run) and the table between the markers in docs/releases.md. Exit 1 if any input differs,
if auto imports torch on another input than on 2.13, or if the engine decision imports torch.
Standard library only; runs the venvs one after another, each command nice'd.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "releases.json"
TABLE = ROOT / "docs" / "releases.md"
BEGIN, END = "<!-- verify-release-table -->", "<!-- /verify-release-table -->"
BASELINE = "2.13"  # the release CI runs: where auto's torch imports are the reference

# Runs lrplot's CLI as the console script does, then writes whether torch was imported.
RUNNER = (
    "import atexit, os, runpy, sys\n"
    "mark = os.environ['LRPLOT_VERIFY_MARK']\n"
    "def _mark():\n"
    "    with open(mark, 'w') as f: f.write('torch' if 'torch' in sys.modules else 'no-torch')\n"
    "atexit.register(_mark)\n"
    "sys.argv = ['lrplot', *sys.argv[1:]]\n"
    "runpy.run_module('lrplot', run_name='__main__')\n"
)
PROBE = (
    "import json, sys\n"
    "from lrplot.plan import releases\n"
    "d = releases.decide()\n"
    "before = 'torch' in sys.modules\n"
    "import torch\n"
    "print(json.dumps({'torch': d.version, 'torch_version': torch.__version__, 'fingerprint': d.fingerprint,"
    " 'semantics': d.semantics, 'reason': d.reason, 'decision_imported_torch': before}))\n"
)


def _load_cases() -> Any:
    spec = importlib.util.spec_from_file_location(
        "_lrplot_release_cases", ROOT / "lrplot" / "plan" / "release_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Venv:
    """One release venv: runs lrplot's CLI (this checkout) with its Python."""

    def __init__(self, folder: Path, work: Path) -> None:
        self.python = folder / "bin" / "python"
        if not self.python.exists():
            raise SystemExit(f"verify_release: {folder}: no bin/python")
        self.work = work
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "MPLBACKEND": "Agg",
            "LRPLOT_CACHE_DIR": str(work / "cache"),  # no verdict cached by an earlier run
            "PYTHONWARNINGS": "ignore",
        }
        self.env.pop("PIP_CONSTRAINT", None)

    def probe(self) -> dict[str, Any]:
        out = subprocess.run(
            ["nice", "-n", "10", str(self.python), "-c", PROBE],
            capture_output=True, text=True, env=self.env, cwd=self.work, check=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])

    def lrplot(self, *args: str) -> tuple[int, str, bool]:
        """(exit status, last stderr line starting 'lrplot: error', torch imported)."""
        mark = self.work / "mark"
        mark.unlink(missing_ok=True)
        out = subprocess.run(
            ["nice", "-n", "10", str(self.python), "-c", RUNNER, *args],
            capture_output=True, text=True, env={**self.env, "LRPLOT_VERIFY_MARK": str(mark)}, cwd=self.work,
        )  # fmt: skip
        errors = [line for line in out.stderr.splitlines() if line.startswith("lrplot: error")]
        if out.returncode and not errors:
            errors = out.stderr.strip().splitlines()[-1:] or ["(no message)"]
        imported = mark.exists() and mark.read_text() == "torch"
        error = (errors[-1] if errors else "").replace(f"{self.work}/", "")  # no temporary paths kept
        return out.returncode, error, imported


def compare(venv: Venv, name: str, config: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """auto and torch CSVs of one config: identical bytes (or the same refusal)."""
    outputs = {}
    row: dict[str, Any] = {"input": name}
    for engine in ("auto", "torch"):
        csv = venv.work / f"{engine}.csv"
        csv.unlink(missing_ok=True)
        code, error, imported = venv.lrplot(
            "plot", str(config), "-q", "--engine", engine, "-o", str(csv), *extra
        )
        row[f"{engine}_exit"] = code
        if error:
            row[f"{engine}_error"] = error
        if engine == "auto":
            row["auto_imports_torch"] = imported
        outputs[engine] = csv.read_bytes() if code == 0 and csv.exists() else None
    if outputs["auto"] is not None and outputs["torch"] is not None:
        row["identical"] = outputs["auto"] == outputs["torch"]
        row["csv_bytes"] = len(outputs["torch"])
        if not row["identical"]:
            row["first_difference"] = _first_difference(outputs["auto"], outputs["torch"])
    else:  # a refusal must be the same refusal, by both engines
        row["identical"] = row["auto_exit"] == row["torch_exit"] != 0 and row.get("auto_error") == row.get(
            "torch_error"
        )
    return row


def _first_difference(a: bytes, b: bytes) -> str:
    for number, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), 1):
        if x != y:
            return f"line {number}: auto {x.decode()[:120]!r} torch {y.decode()[:120]!r}"
    return f"lengths {len(a)} and {len(b)}"


def _refused_labels(row: dict[str, Any]) -> list[str]:
    return re.findall(r"curve '([^']+)'", row.get("torch_error", ""))


def release_cases(venv: Venv) -> list[dict[str, Any]]:
    """Every edge case as one config; a case torch refuses is split off and compared alone."""
    cases = _load_cases()
    remaining = list(cases.CASES)
    rows = []
    for _ in range(len(remaining)):
        path = venv.work / "release_cases.yaml"
        path.write_text(json.dumps(cases.config_of(remaining)), encoding="utf-8")
        row = compare(venv, f"release_cases ({len(remaining)} cases)", path, ("--force",))
        refused = [c for c in remaining if c["id"] in _refused_labels(row)]
        if row["torch_exit"] == 0 or not refused:
            rows.insert(0, row)
            break
        for case in refused:
            alone = venv.work / f"case-{case['id']}.yaml"
            alone.write_text(json.dumps(cases.config_of([case])), encoding="utf-8")
            rows.append(compare(venv, f"release case {case['id']} (refused by torch)", alone))
        remaining = [c for c in remaining if c not in refused]
    return rows


def readme_example(venv: Venv) -> list[dict[str, Any]]:
    """The README's YAML example (its first yaml block) compared, and its quick start run."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    rows = []
    if block:
        path = venv.work / "readme_example.yaml"
        path.write_text(block.group(1), encoding="utf-8")
        rows.append(compare(venv, "README example (yaml block)", path))
    figure = venv.work / "schedule.png"
    figure.unlink(missing_ok=True)
    code, error, imported = venv.lrplot(
        "plot", str(ROOT / "configs" / "llm_warmup_cosine.yaml"), "-o", str(figure)
    )
    ok = code == 0 and figure.exists() and figure.stat().st_size > 0
    rows.append(
        {"input": "README quick start (plot -o schedule.png)", "auto_exit": code, "identical": ok,
         "auto_imports_torch": imported, **({"auto_error": error} if error else {})}
    )  # fmt: skip
    return rows


def verify(folder: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lrplot-verify-") as work:
        venv = Venv(folder, Path(work))
        result = venv.probe()
        rows = []
        for config in sorted((ROOT / "configs").rglob("*.yaml")):
            rows.append(compare(venv, str(config.relative_to(ROOT)), config))
        rows += release_cases(venv)
        rows += readme_example(venv)
    result["rows"] = rows
    return result


def _key(version: str) -> tuple[int, ...]:
    return tuple(int("".join(c for c in p if c.isdigit()) or 0) for p in version.split("+")[0].split("."))


def _baseline_imports(results: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """Per input, whether ``--engine auto`` imported torch on the baseline release (2.13)."""
    baseline = next((r for v, r in results.items() if v.startswith(BASELINE)), None)
    return {row["input"]: bool(row.get("auto_imports_torch")) for row in (baseline or {}).get("rows", [])}


def import_deviations(rows: list[dict[str, Any]], base_imports: dict[str, bool]) -> list[str]:
    """The inputs where auto imports torch and did not on 2.13, or the other way round.

    A case that release's torch refuses is stepped by torch to give torch's own message, so
    its import is expected; an input the baseline did not run counts as torch-free there.
    """
    return [
        row["input"]
        for row in rows
        if "refused" not in row["input"]
        and bool(row.get("auto_imports_torch")) != base_imports.get(row["input"], False)
    ]


def table(results: dict[str, dict[str, Any]]) -> str:
    """The compact table for docs/releases.md, newest release first."""
    base_imports = _baseline_imports(results)
    lines = [
        "| torch (metadata) | `torch.__version__` | fingerprint | semantics | auto = torch, bytes | "
        "auto imports torch (same inputs as on 2.13) | README example |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for version in sorted(results, key=_key, reverse=True):
        r = results[version]
        rows = r["rows"]
        compared = [row for row in rows if "torch_exit" in row]
        same = sum(row["identical"] for row in compared)
        imports = [row["input"] for row in rows if row.get("auto_imports_torch")]
        deviating = import_deviations(rows, base_imports)
        readme = all(row["identical"] for row in rows if row["input"].startswith("README"))
        refused = [row["input"] for row in compared if row.get("torch_exit")]
        note = f"{same}/{len(compared)}" + (f" ({len(refused)} refused by both)" if refused else "")
        lines.append(
            f"| {r['torch']} | {r['torch_version']} | `{r['fingerprint']}` "
            f"| {r['semantics'] or 'steps torch'} | "
            f"{note} | {len(imports)} ({'same' if not deviating else 'differs: ' + ', '.join(deviating)}) | "
            f"{'runs' if readme else 'FAILS'} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venvs", nargs="*", type=Path, help="release venv folder(s): /work/torchvenvs/2.8.0")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--table", type=Path, default=TABLE)
    args = parser.parse_args()
    results = json.loads(args.results.read_text(encoding="utf-8")) if args.results.exists() else {}
    failed = False
    # No venv: only rewrite the table from the recorded results.
    for folder in args.venvs:
        result = verify(folder)
        results[result["torch"]] = result
        bad = [row for row in result["rows"] if not row["identical"]]
        deviating = import_deviations(result["rows"], _baseline_imports(results))
        failed |= bool(bad) or bool(deviating) or bool(result.get("decision_imported_torch"))
        print(f"torch {result['torch_version']} ({result['semantics'] or 'steps torch'}): "
              f"{len(result['rows']) - len(bad)}/{len(result['rows'])} identical, "
              f"auto imports torch on {sum(bool(r.get('auto_imports_torch')) for r in result['rows'])} "
              f"inputs ({'as on ' + BASELINE if not deviating else 'not as on ' + BASELINE})")  # fmt: skip
        for row in bad:
            print(f"  DIFFERS {row['input']}: {json.dumps({k: v for k, v in row.items() if k != 'input'})}")
        for name in deviating:
            print(f"  TORCH IMPORT DIFFERS from {BASELINE}: {name}")
        if result.get("decision_imported_torch"):
            print("  the engine decision imported torch")
        args.results.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.table.exists():
        text = args.table.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            args.table.write_text(
                f"{head}{BEGIN}\n{table(results)}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
