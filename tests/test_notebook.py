"""notebooks/comparison.ipynb executes headless on a quick results directory."""

import os

import nbclient
import nbformat

from tests.helpers import ROOT


def test_comparison_notebook_executes(quick_results, monkeypatch):
    monkeypatch.setenv("MTNEURON_RESULTS", quick_results)
    notebook_dir = os.path.join(ROOT, "notebooks")
    notebook = nbformat.read(os.path.join(notebook_dir, "comparison.ipynb"), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": notebook_dir}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) == 2
    text = "\n".join(output.get("data", {}).get("text/markdown", "") for output in outputs)
    assert "| 0.001 | Central-threshold | 0.8958 |" in text and "Read **4 runs**" in text
    assert "the blog's better model was" in text
