"""The notebooks execute headless on quick results directories."""

import os
import sys

import nbclient
import nbformat
import pytest

from mtneuron.studies.claims import measurements
from tests.helpers import ROOT


def execute(name, variable, results, monkeypatch):
    """Run ``notebooks/name`` on ``results`` (passed in ``variable``); return its images and Markdown."""
    monkeypatch.setenv(variable, results)
    notebook_dir = os.path.join(ROOT, "notebooks")
    notebook = nbformat.read(os.path.join(notebook_dir, name), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": notebook_dir}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    return images, "\n".join(output.get("data", {}).get("text/markdown", "") for output in outputs)


@pytest.mark.slow
def test_comparison_notebook_executes(quick_results, monkeypatch):
    images, text = execute("comparison.ipynb", "MTNEURON_RESULTS", quick_results, monkeypatch)
    assert len(images) == 2 and "No kept parameters in" in text  # the quick sweep has no run at 0.005
    assert "| 0.001 | Central-threshold | 0.8958 |" in text and "Read **4 runs**" in text
    assert "the blog's better model was" in text


@pytest.mark.slow
def test_claims_notebook_executes(quick_claims, quick_compare, monkeypatch):
    monkeypatch.setenv("MTNEURON_COMPARISON_RESULTS", quick_compare)
    images, text = execute("claims.ipynb", "MTNEURON_CLAIMS_RESULTS", quick_claims[0], monkeypatch)
    # Figures 3 and 2, the grid, the measurements, the frozen weights, C7-C11
    assert len(images) == 3 + len(measurements.FAMILIES) + 1 + 2
    assert "Read **14 runs**" in text and text.count("**Verdict: ") == 11 and "### C11:" in text


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info < (3, 9),
                    reason="Keras 3 needs Python >= 3.9: the Keras example runs on the TensorFlow 2.x leg")
def test_keras_example_notebook_executes_on_a_subset(mnist_dir, monkeypatch):
    monkeypatch.setenv("MTNEURON_DATA", mnist_dir)
    monkeypatch.setenv("MTNEURON_EPOCHS", "1")
    images, text = execute("keras_layer.ipynb", "MTNEURON_EXAMPLES", "2000", monkeypatch)
    assert len(images) == 1 and "2000 training examples, 1 epochs" in text
    assert "| multi-threshold | 219839 |" in text and "| central-threshold | 219839 |" in text
