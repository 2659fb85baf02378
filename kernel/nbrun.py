#!/usr/bin/python3
"""Execute Jupyter notebooks headless on the project's Go kernel and check them.

    /usr/bin/python3 kernel/nbrun.py [--save] [--timeout S] NOTEBOOK...

Each notebook runs top to bottom with nbclient (Debian's python3-nbclient)
on the kernel its metadata names, found through JUPYTER_PATH
(scripts/kernel.sh sets it), in a copy: the file is not touched.

A notebook fails when
  - a cell raises an error (unless the cell is tagged "raises-exception",
    nbclient's tag for a cell that shows an error on purpose);
  - a code cell tagged "figure" (cell metadata "tags": ["figure"]) shows no
    image/png;
  - its saved outputs differ from the fresh run's. Compared, per code cell:
    the text of each stream (consecutive stream outputs joined, stdout
    before stderr), the text/plain of each result and display together
    with the list of its MIME types (so a figure that no longer appears is
    a difference; image bytes are not compared), and "ename: evalue" of
    each error. Execution counts and metadata are ignored. Before comparing,
    the volatile fields below are masked in both.

The failure shows a unified diff per differing cell and keeps the fresh
copy in a temporary directory to look at. To accept the fresh outputs:

    /usr/bin/python3 kernel/nbrun.py --save NOTEBOOK...     (make notebooks-save)

which executes the notebooks and writes them back, outputs and all
(written to a temporary file, then renamed), if they run without error.

Prints one line per notebook and a final "N passed, N failed" line; exits
non-zero when any notebook failed.
"""

import argparse
import difflib
import os
import re
import shutil
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

# Volatile fields, masked before saved and fresh outputs are compared.
# Each is (what, pattern, replacement). Keep the list short and explicit:
# anything not masked here must be reproducible run to run.
VOLATILE = [
    # Go durations and clock readings: "12.3s", "1m4.2s", "350ms", "3µs".
    ("duration", re.compile(r"[ \t]*\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?(?:ns|µs|us|ms|s)\b"), " <duration>"),
    # Seconds or minutes written with a space: "in 4.5 s", "(7 s)", "2 min".
    ("duration", re.compile(r"[ \t]*\b\d+(?:\.\d+)? (?:ns|µs|us|ms|s|sec|seconds?|min|minutes?)\b"), " <duration>"),
    # Estimated time left: "ETA 3m", "ETA: 12s".
    ("ETA", re.compile(r"\bETA:?\s*\S+"), "ETA <eta>"),
    # Throughput: "1234 samples/s", "56.7 it/s".
    ("rate", re.compile(r"\b\d+(?:\.\d+)?\s*(?:samples|items|it|steps)/s\b"), "<rate>"),
    # Timestamps: "2024-05-06T12:34:56Z", "2024/05/06 12:34:56", "12:34:56.789".
    ("timestamp", re.compile(r"\b\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"), "<date>"),
    ("timestamp", re.compile(r"\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b"), "<time>"),
    # Memory addresses: "0xc000123456".
    ("address", re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<address>"),
    # Temporary paths: os.MkdirTemp and friends.
    ("temp path", re.compile(r"(?:/tmp|/var/tmp|/private/var/folders)/[^\s\"'`),;:]+"), "<tmp>"),
]

MAX_DIFF_LINES = 40  # per cell


def mask(text):
    for _, pattern, repl in VOLATILE:
        text = pattern.sub(repl, text)
    return text


def text_outputs(cell):
    """The comparable text of a code cell's outputs, as a list of lines."""
    items = []  # (header, text)
    run = {}  # streams since the last non-stream output, by name

    def flush_streams():
        for name in ("stdout", "stderr"):
            if name in run:
                items.append(("[%s]" % name, run[name]))
        for name in sorted(set(run) - {"stdout", "stderr"}):
            items.append(("[%s]" % name, run[name]))
        run.clear()

    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            run[out.get("name", "stdout")] = run.get(out.get("name", "stdout"), "") + out.get("text", "")
            continue
        flush_streams()
        if kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            items.append(("[%s: %s]" % (kind, ", ".join(sorted(data))), data.get("text/plain", "")))
        elif kind == "error":
            items.append(("[error]", "%s: %s" % (out.get("ename", ""), out.get("evalue", ""))))
    flush_streams()
    lines = []
    for header, text in items:
        lines.append(header)
        lines.extend(mask(text).splitlines())
    return lines


def first_line(cell):
    for line in cell.source.splitlines():
        if line.strip() and not line.strip().startswith("//"):
            return line.strip()[:60]
    return ""


def output_diffs(saved, fresh):
    """Readable differences between the saved and the fresh outputs."""
    problems = []
    for i, (s, f) in enumerate(zip(saved.cells, fresh.cells)):
        if s.cell_type != "code":
            continue
        a, b = text_outputs(s), text_outputs(f)
        if a == b:
            continue
        diff = list(difflib.unified_diff(a, b, "saved", "fresh", lineterm="", n=2))
        if len(diff) > MAX_DIFF_LINES:
            diff = diff[:MAX_DIFF_LINES] + ["... (%d more diff lines)" % (len(diff) - MAX_DIFF_LINES)]
        problems.append("cell %d (`%s`): saved outputs differ from a fresh run\n  %s" % (i, first_line(s), "\n  ".join(diff)))
    return problems


def figure_problems(nb):
    """Cells tagged "figure" without an image/png output."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "figure" not in cell.metadata.get("tags", []):
            continue
        if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            problems.append("cell %d is tagged figure but shows no image/png" % i)
    return problems


def write_notebook(nb, path, mode=None):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".ipynb")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def run(path, timeout, save):
    saved = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)  # the copy that runs
    kernel = nb.metadata.get("kernelspec", {}).get("name", "aeir-go")
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, allow_errors=False, record_timing=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    start = time.time()
    try:
        client.execute()
    except CellTimeoutError as e:
        return ["timed out: %s" % str(e).strip().splitlines()[0]], time.time() - start
    except CellExecutionError as e:
        return ["cell error:\n%s" % str(e).strip()], time.time() - start
    problems = figure_problems(nb)
    if problems:
        return problems, time.time() - start
    if save:
        changed = len(output_diffs(saved, nb))
        write_notebook(nb, path, os.stat(path).st_mode & 0o777)
        return [], time.time() - start, "saved; %d code cell(s) had different outputs" % changed
    problems = output_diffs(saved, nb)
    if problems:
        keep = tempfile.mkdtemp(prefix="nbrun-")
        fresh = os.path.join(keep, os.path.basename(path))
        write_notebook(nb, fresh)
        problems.append("the fresh run is in %s; to accept it: make notebooks-save "
                        "(or scripts/kernel.sh notebooks-save %s)" % (fresh, path))
    return problems, time.time() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    ap.add_argument("--save", "--inplace", dest="save", action="store_true",
                    help="write the executed notebooks back instead of comparing their outputs")
    args = ap.parse_args()
    passed = failed = 0
    for path in args.notebooks:
        problems, secs, *note = run(path, args.timeout, args.save)
        if problems:
            failed += 1
            print("FAIL %s (%.1fs)" % (path, secs))
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
        else:
            passed += 1
            print("ok   %s (%.1fs)%s" % (path, secs, ": " + note[0] if note else ""))
        sys.stdout.flush()
    print("notebooks: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
