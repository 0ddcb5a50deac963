"""Every notebook in notebooks/ runs top to bottom, in a real Jupyter kernel, on a small budget:
a tutorial whose cells no longer run is a bug.

Notebooks read their budget from RAYTUNE_MS_NB_TRIALS and their tuning directory from
RAYTUNE_MS_NB_WORK_DIR, so the suite runs them small and leaves nothing in the source tree.
"""

import pathlib
import re

import nbclient
import nbformat
import pytest

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SMALL_TRIALS = "8"


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("RAYTUNE_MS_NB_TRIALS", SMALL_TRIALS)
    monkeypatch.setenv("RAYTUNE_MS_NB_WORK_DIR", str(tmp_path / "work_dir"))
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell failed:\n" + re.sub(r"\x1b\[[0-9;]*m", "", str(e)))
    ran = [c for c in notebook.cells if c.cell_type == "code"]
    assert ran and all(c.get("execution_count") for c in ran), f"{path.name}: not every cell ran"
    printed = "".join(out.get("text", "") for c in ran for out in c.get("outputs", ())
                      if out.get("output_type") == "stream")
    assert "Warning" not in printed and "IProgress" not in printed, f"{path.name} printed a warning:\n{printed}"
