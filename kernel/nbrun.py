#!/usr/bin/python3
"""Execute Jupyter notebooks headless on the project's Go kernel and check them.

    /usr/bin/python3 kernel/nbrun.py [--inplace] [--timeout S] NOTEBOOK...

Each notebook runs top to bottom with nbclient (Debian's python3-nbclient)
on the kernel its metadata names, found through JUPYTER_PATH
(scripts/kernel.sh sets it). A notebook fails when a cell raises an error,
or when a code cell tagged "figure" (cell metadata "tags": ["figure"])
shows no image/png. With --inplace the executed notebook, outputs and all,
replaces the file (written to a temporary file, then renamed).

Prints one line per notebook and a final "N passed, N failed" line; exits
non-zero when any notebook failed.
"""

import argparse
import os
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError


def figure_problems(nb):
    """Cells tagged "figure" without an image/png output."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "figure" not in cell.metadata.get("tags", []):
            continue
        if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            problems.append("cell %d is tagged figure but shows no image/png" % i)
    return problems


def run(path, timeout, inplace):
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "gophernotes")
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
    if inplace and not problems:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".ipynb")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.chmod(tmp, os.stat(path).st_mode & 0o777)
        os.replace(tmp, path)
    return problems, time.time() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    ap.add_argument("--inplace", action="store_true", help="write the executed notebooks back")
    args = ap.parse_args()
    passed = failed = 0
    for path in args.notebooks:
        problems, secs = run(path, args.timeout, args.inplace)
        if problems:
            failed += 1
            print("FAIL %s (%.1fs)" % (path, secs))
            for p in problems:
                print("    " + p.replace("\n", "\n    "))
        else:
            passed += 1
            print("ok   %s (%.1fs)" % (path, secs))
    print("notebooks: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
