"""Atomic file writes: a result file is either complete or absent, never half-written."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-" + os.path.basename(path) + "-")
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_text(path, text):
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as temporary, open(temporary, "w") as stream:
        stream.write(text)


def write_npz(path, arrays):
    """Write the named ``arrays`` to ``path`` as an uncompressed ``.npz``, atomically and in their order."""
    import numpy as np

    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)


FIGURE_DPI = 100


def save_figure(figure, path):
    """Save a Matplotlib ``figure`` to ``path`` as PNG atomically."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=FIGURE_DPI, format="png")
