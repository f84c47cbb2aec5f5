"""mtneuron.run.files: a result file is complete or absent, never half-written."""

import os

import numpy as np
import pytest

from mtneuron.run import files


def test_write_text_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "deep" / "er" / "report.md"
    files.write_text(str(path), "old")
    files.write_text(str(path), "new\n")
    assert path.read_text() == "new\n" and os.listdir(path.parent) == ["report.md"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("complete")
    with pytest.raises(RuntimeError), files.atomic_path(str(path)) as temporary:
        with open(temporary, "w") as stream:
            stream.write("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "complete" and os.listdir(tmp_path) == ["report.md"]


def test_write_npz_keeps_the_arrays_and_their_order(tmp_path):
    path = str(tmp_path / "state.npz")
    arrays = {"b": np.arange(3), "a": np.eye(2, dtype=np.float32)}
    files.write_npz(path, arrays)
    with np.load(path) as loaded:
        assert list(loaded.keys()) == ["b", "a"]
        assert np.array_equal(loaded["b"], arrays["b"]) and loaded["a"].dtype == np.float32


def test_save_figure_writes_a_png_of_the_figures_size(tmp_path):
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    figure = Figure(figsize=(2, 1))
    figure.subplots().plot([0, 1], [0, 1])
    path = str(tmp_path / "figure.png")
    files.save_figure(figure, path)
    assert imread(path).shape[:2] == pytest.approx((files.FIGURE_DPI, 2 * files.FIGURE_DPI), abs=1)
    assert os.listdir(tmp_path) == ["figure.png"]


def test_files_does_not_import_matplotlib():
    import ast
    import inspect

    imports = [node for node in ast.parse(inspect.getsource(files)).body
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert "matplotlib" not in " ".join(ast.dump(node) for node in imports)
