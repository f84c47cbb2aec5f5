"""Tests for mtneuron.data: IDX reading, validation of bad files, batching, sources, downloads."""

import collections
import functools
import gzip
import hashlib
import http.client
import http.server
import os
import socket
import struct
import threading

import numpy as np
import pytest

from mtneuron import blog, data

NAMES = (data.TRAIN_IMAGES, data.TRAIN_LABELS, data.TEST_IMAGES, data.TEST_LABELS)


@pytest.fixture(autouse=True)
def hermetic(tmp_path, monkeypatch):
    """No test sees the user's data or cache, or reaches a real mirror (even if the env is ignored)."""
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(data.MIRRORS_ENV, "http://127.0.0.1:9/no-mirror/")
    monkeypatch.setattr(data, "MIRRORS", ("http://127.0.0.1:9/no-default-mirror/",))


def load(directory=None, **kwargs):
    """``read_data_sets`` sized for tiny files, whose checksums are not the real ones."""
    kwargs.setdefault("verify", False)
    kwargs.setdefault("validation_size", 5)
    return data.read_data_sets(None if directory is None else str(directory), **kwargs)


def pixels(images):
    """What the loader should give for uint8 images: float32 ``(N, 784)`` of pixel/255."""
    return (images.reshape(len(images), -1) / 255.0).astype(np.float32)


def assert_one_line_naming(excinfo, *parts):
    message = str(excinfo.value)
    assert "\n" not in message
    for part in parts:
        assert str(part) in message


def no_download(*args, **kwargs):
    pytest.fail("tried to download %r" % (args,))


# --- IDX reading -------------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False])
def test_parsers_return_the_written_arrays(make_mnist, gz):
    tiny = make_mnist("mnist", gz=gz)
    images_path, labels_path = tiny.paths[data.TRAIN_IMAGES], tiny.paths[data.TRAIN_LABELS]
    images = data.parse_images(data.read_file(images_path), images_path)
    labels = data.parse_labels(data.read_file(labels_path), labels_path, len(images))
    assert images.dtype == np.uint8 and np.array_equal(images, tiny.train_images)
    assert labels.dtype == np.uint8 and np.array_equal(labels, tiny.train_labels)


def test_validation_is_the_first_training_examples(tiny_mnist):
    sets = load(tiny_mnist.directory, validation_size=5)
    assert (sets.validation.num_examples, sets.train.num_examples, sets.test.num_examples) == (5, 15, 10)
    np.testing.assert_allclose(sets.validation.images, pixels(tiny_mnist.train_images[:5]), rtol=1e-6)
    np.testing.assert_allclose(sets.train.images, pixels(tiny_mnist.train_images[5:]), rtol=1e-6)
    np.testing.assert_allclose(sets.test.images, pixels(tiny_mnist.test_images), rtol=1e-6)
    assert np.array_equal(sets.validation.labels.argmax(1), tiny_mnist.train_labels[:5])
    assert np.array_equal(sets.train.labels.argmax(1), tiny_mnist.train_labels[5:])
    assert np.array_equal(sets.test.labels.argmax(1), tiny_mnist.test_labels)


def test_images_are_float32_rows_in_unit_interval(tiny_mnist):
    for dataset in load(tiny_mnist.directory):
        assert dataset.images.dtype == np.float32
        assert dataset.images.shape == (dataset.num_examples, blog.INPUT_SIZE)
        assert dataset.images.min() >= 0.0 and dataset.images.max() <= 1.0


def test_scale_maps_0_to_0_and_255_to_1():
    scaled = data.scale(np.array([[[0, 128], [255, 1]]], dtype=np.uint8))
    assert scaled.dtype == np.float32 and scaled.shape == (1, 4)
    assert scaled[0, 0] == 0.0 and scaled[0, 2] == 1.0
    np.testing.assert_allclose(scaled[0, [1, 3]], [128 / 255, 1 / 255], rtol=1e-6)


def test_labels_are_one_hot_float32(tiny_mnist):
    labels = load(tiny_mnist.directory).train.labels
    assert labels.dtype == np.float32 and labels.shape == (15, 10)
    assert set(np.unique(labels)) == {0.0, 1.0}
    assert np.array_equal(labels.sum(1), np.ones(15))
    assert np.array_equal(labels.argmax(1), tiny_mnist.train_labels[5:])


def test_one_hot_false_gives_class_ids(tiny_mnist):
    sets = load(tiny_mnist.directory, one_hot=False)
    assert sets.train.labels.shape == (15,)
    assert np.array_equal(sets.train.labels, tiny_mnist.train_labels[5:])
    assert np.array_equal(sets.test.labels, tiny_mnist.test_labels)


def test_raw_and_gz_files_give_identical_arrays(make_mnist):
    raw = load(make_mnist("raw", gz=False).directory)
    gz = load(make_mnist("gz", gz=True).directory)
    for raw_set, gz_set in zip(raw, gz):
        assert np.array_equal(raw_set.images, gz_set.images)
        assert np.array_equal(raw_set.labels, gz_set.labels)


@pytest.mark.parametrize("size, n_train", [(0, 20), (20, 0)])
def test_validation_size_extremes(tiny_mnist, size, n_train):
    sets = load(tiny_mnist.directory, validation_size=size)
    assert (sets.validation.num_examples, sets.train.num_examples) == (size, n_train)


@pytest.mark.parametrize("size", [-1, 21])
def test_validation_size_out_of_range_is_an_error(tiny_mnist, size):
    with pytest.raises(data.DataError, match="validation_size") as excinfo:
        load(tiny_mnist.directory, validation_size=size)
    assert_one_line_naming(excinfo, size)


# --- bad data ----------------------------------------------------------------------------------

def rewrite(path, transform):
    """Replace the content of a gzipped IDX file by ``transform(content)``."""
    with gzip.open(path, "rb") as stream:
        content = stream.read()
    with open(path, "wb") as stream:
        stream.write(gzip.compress(transform(content)))


def add_to_count(delta, drop_bytes=0):
    """Change the header's item count by ``delta`` and drop ``drop_bytes`` from the body's end."""
    def transform(content):
        count = struct.unpack(">I", content[4:8])[0] + delta
        return content[:4] + struct.pack(">I", count) + content[8:len(content) - drop_bytes]
    return transform


BAD_CONTENT = {
    "images magic": (data.TRAIN_IMAGES, lambda c: struct.pack(">I", data.LABELS_MAGIC) + c[4:]),
    "labels magic": (data.TEST_LABELS, lambda c: struct.pack(">I", data.IMAGES_MAGIC) + c[4:]),
    "images count above body": (data.TRAIN_IMAGES, add_to_count(+1)),
    "labels count above body": (data.TRAIN_LABELS, add_to_count(+1)),
    "padded body": (data.TEST_IMAGES, lambda c: c + b"\0"),
    "fewer labels than images": (data.TEST_LABELS, add_to_count(-1, drop_bytes=1)),
    "label 10": (data.TRAIN_LABELS, lambda c: c[:-1] + bytes([10])),
    "short header": (data.TEST_LABELS, lambda c: c[:6]),
    "empty file": (data.TRAIN_IMAGES, lambda c: b""),
}


@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
def test_bad_idx_content_is_a_data_error(tiny_mnist, case):
    name, transform = BAD_CONTENT[case]
    rewrite(tiny_mnist.paths[name], transform)
    with pytest.raises(data.DataError) as excinfo:
        load(tiny_mnist.directory)
    assert_one_line_naming(excinfo, tiny_mnist.paths[name])


def test_wrong_image_shape_is_a_data_error(make_mnist):
    tiny = make_mnist("mnist", shape=(27, 28))
    with pytest.raises(data.DataError, match="shape") as excinfo:
        load(tiny.directory)
    assert_one_line_naming(excinfo, tiny.paths[data.TRAIN_IMAGES])


def flip_middle_byte(payload):
    middle = len(payload) // 2
    return payload[:middle] + bytes([payload[middle] ^ 0xFF]) + payload[middle + 1:]


BAD_GZIP = {
    "truncated": lambda payload: payload[:len(payload) // 2],
    "garbage": lambda payload: np.random.RandomState(1).bytes(len(payload)),
    "flipped byte": flip_middle_byte,
}


@pytest.mark.parametrize("case", sorted(BAD_GZIP))
def test_bad_gzip_is_a_data_error(tiny_mnist, case):
    path = tiny_mnist.paths[data.TEST_LABELS]  # the last file read: nothing before it is returned
    with open(path, "rb") as stream:
        payload = stream.read()
    with open(path, "wb") as stream:
        stream.write(BAD_GZIP[case](payload))
    with pytest.raises(data.DataError, match="gzip") as excinfo:
        load(tiny_mnist.directory)
    assert_one_line_naming(excinfo, path)


def test_missing_file_in_data_dir_is_a_data_error_without_download(tiny_mnist, monkeypatch):
    monkeypatch.setattr(data, "fetch", no_download)
    os.remove(tiny_mnist.paths[data.TEST_IMAGES])
    with pytest.raises(data.DataError, match="not found") as excinfo:
        load(tiny_mnist.directory)
    assert_one_line_naming(excinfo, data.TEST_IMAGES, tiny_mnist.directory, data.DATA_ENV)


def test_checksums_are_verified_by_default(tiny_mnist):
    with pytest.raises(data.DataError, match="checksum") as excinfo:
        data.read_data_sets(tiny_mnist.directory)
    assert_one_line_naming(excinfo, tiny_mnist.paths[data.TRAIN_IMAGES], tiny_mnist.sha256[data.TRAIN_IMAGES])


def test_one_bad_checksum_fails_the_whole_load(tiny_mnist, monkeypatch):
    sums = dict(tiny_mnist.sha256, **{data.TEST_LABELS: "0" * 64})
    monkeypatch.setattr(data, "SHA256", sums)
    with pytest.raises(data.DataError, match="checksum") as excinfo:
        data.read_data_sets(tiny_mnist.directory, verify=True)
    assert_one_line_naming(excinfo, tiny_mnist.paths[data.TEST_LABELS])


def test_right_checksums_pass(tiny_mnist, monkeypatch):
    monkeypatch.setattr(data, "SHA256", dict(tiny_mnist.sha256))
    assert data.read_data_sets(tiny_mnist.directory, verify=True, validation_size=5).test.num_examples == 10


def test_header_whose_size_overflows_is_a_data_error():
    content = struct.pack(">IIII", data.IMAGES_MAGIC, 2 ** 31, 2 ** 31, 4)  # 2**64 bytes, body empty
    with pytest.raises(data.DataError):
        data.parse_images(content, "huge-idx3")


# --- DataSet.next_batch ------------------------------------------------------------------------

def indexed_set(n=10, seed=0):
    """A DataSet whose example i has the image [i, i] and the label i."""
    ids = np.arange(n)
    return data.DataSet(np.stack([ids, ids], axis=1).astype(np.float32), ids, seed=seed)


def serve(dataset, batch_size, num_batches, **kwargs):
    """Concatenated labels of ``num_batches`` batches and ``epochs_completed`` after each."""
    served, epochs = [], []
    for _ in range(num_batches):
        images, labels = dataset.next_batch(batch_size, **kwargs)
        assert len(labels) == batch_size and np.array_equal(images[:, 0], labels)
        served.append(labels)
        epochs.append(dataset.epochs_completed)
    return np.concatenate(served), epochs


@pytest.mark.parametrize("batch_size", [1, 3, 4, 7, 10])
def test_every_example_once_per_epoch(batch_size):
    served, _ = serve(indexed_set(10), batch_size, num_batches=-(-50 // batch_size))
    epochs = served[:50].reshape(5, 10)
    for epoch in epochs:
        assert sorted(epoch) == list(range(10))
    assert len({tuple(epoch) for epoch in epochs}) > 1  # re-permuted between epochs


@pytest.mark.parametrize("batch_size, expected", [
    (3, [0, 0, 0, 1, 1, 1, 2]),  # the 4th batch runs past the end: tail 1 + 2 from epoch 2
    (4, [0, 0, 1, 1, 1, 2]),
    (10, [0, 1, 2, 3]),  # TF1 counts an epoch only when the next batch starts
    (1, [0] * 10 + [1] * 10 + [2]),
])
def test_epochs_completed_counts_like_tf1(batch_size, expected):
    _, epochs = serve(indexed_set(10), batch_size, num_batches=len(expected))
    assert epochs == expected


def test_same_seed_same_batches_different_seed_different_batches():
    first, _ = serve(indexed_set(seed=5), 3, 10)
    again, _ = serve(indexed_set(seed=5), 3, 10)
    other, _ = serve(indexed_set(seed=6), 3, 10)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_no_shuffle_serves_in_order():
    served, epochs = serve(indexed_set(), 3, 10, shuffle=False)
    assert np.array_equal(served, np.tile(np.arange(10), 3)[:30])
    assert epochs[-1] == 2


def test_global_numpy_random_state_is_untouched(tiny_mnist):
    np.random.seed(1234)
    before = np.random.get_state()
    serve(indexed_set(seed=None), 3, 10)
    load(tiny_mnist.directory, seed=3).train.next_batch(4)
    after = np.random.get_state()
    assert before[0] == after[0] and before[2:] == after[2:]
    assert np.array_equal(before[1], after[1])


def test_read_data_sets_seed_fixes_the_training_batches(tiny_mnist):
    first = load(tiny_mnist.directory, seed=3).train.next_batch(15)[0]
    again = load(tiny_mnist.directory, seed=3).train.next_batch(15)[0]
    assert np.array_equal(first, again)


@pytest.mark.parametrize("batch_size", [0, -1, 11])
def test_invalid_batch_size_is_a_value_error(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        indexed_set(10).next_batch(batch_size)


def test_images_and_labels_must_match_in_count():
    with pytest.raises(data.DataError, match="differ"):
        data.DataSet(np.zeros((3, 784)), np.zeros(2))


# --- where the files come from -----------------------------------------------------------------

@pytest.fixture
def three_sources(make_mnist, monkeypatch):
    """Distinct tiny sets for the data_dir argument, $MTNEURON_DATA and the cache."""
    argument, env, cache = (make_mnist(name, seed=seed) for seed, name in enumerate(["arg", "env", "cache"]))
    monkeypatch.setenv(data.DATA_ENV, env.directory)
    monkeypatch.setenv(data.CACHE_ENV, cache.directory)
    monkeypatch.setattr(data, "fetch", no_download)
    return argument, env, cache


def loaded_from(sets, tiny):
    return np.array_equal(sets.test.labels, tiny.test_labels) and np.allclose(
        sets.test.images, pixels(tiny.test_images), rtol=1e-6)


def test_data_dir_argument_beats_env_and_cache(three_sources):
    argument, _, _ = three_sources
    assert loaded_from(load(argument.directory, one_hot=False), argument)


def test_env_var_beats_cache(three_sources):
    _, env, _ = three_sources
    assert loaded_from(load(one_hot=False), env)


def test_cache_is_the_last_resort(three_sources, monkeypatch):
    _, _, cache = three_sources
    monkeypatch.delenv(data.DATA_ENV)
    assert loaded_from(load(one_hot=False), cache)


def test_missing_files_in_env_dir_are_an_error_not_a_fallback(three_sources, monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "empty"))
    with pytest.raises(data.DataError, match="not found") as excinfo:
        load()
    assert_one_line_naming(excinfo, tmp_path / "empty")


def test_cache_dir_comes_from_env_then_xdg_then_home(monkeypatch, tmp_path):
    assert data.cache_dir() == str(tmp_path / "cache")
    monkeypatch.delenv(data.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == os.path.join(str(tmp_path / "xdg"), "mtneuron", "mnist")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.cache_dir() == os.path.join(str(tmp_path / "home"), ".cache", "mtneuron", "mnist")


def test_mirrors_come_from_space_separated_env_else_defaults(monkeypatch):
    monkeypatch.setenv(data.MIRRORS_ENV, " http://a/mnist/  http://b/ ")
    assert data.mirrors() == ("http://a/mnist/", "http://b/")
    monkeypatch.delenv(data.MIRRORS_ENV)
    assert data.mirrors() == data.MIRRORS


def test_data_dir_expands_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.find_data_dir("~/mnist") == str(tmp_path / "mnist")


# --- downloads from a local mirror -------------------------------------------------------------

class MirrorHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; under /drop/ it promises 1000 bytes, sends 4 and hangs up."""

    def do_GET(self):
        if self.path.startswith("/drop/"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b\x08\x00")
            return
        super().do_GET()

    def log_request(self, code="-", size="-"):
        self.server.requests.append((self.path, int(code)))

    def log_message(self, *args):
        pass


Mirror = collections.namedtuple("Mirror", ["base", "requests"])


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server for ``tmp_path/www``: ``base + "good/"`` serves ``tmp_path/www/good``."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(MirrorHandler, directory=str(root)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Mirror("http://127.0.0.1:%d/" % server.server_address[1], server.requests)
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def good(make_mnist, monkeypatch):
    """Tiny files on the mirror at ``good/``, with their checksums standing in for the real ones."""
    tiny = make_mnist("www/good")
    monkeypatch.setattr(data, "SHA256", dict(tiny.sha256))
    return tiny


@pytest.fixture
def bad(make_mnist):
    """Files on the mirror at ``bad/`` that are valid IDX but fail the checksums of ``good``."""
    return make_mnist("www/bad", seed=99)


def closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d/" % probe.getsockname()[1]


def test_read_data_sets_downloads_into_the_empty_cache(mirror, good, monkeypatch, tmp_path):
    monkeypatch.setenv(data.MIRRORS_ENV, mirror.base + "good/")
    cache = tmp_path / "cache"
    assert not cache.exists()
    sets = data.read_data_sets(validation_size=5)
    assert sorted(os.listdir(str(cache))) == sorted(name + ".gz" for name in NAMES)
    np.testing.assert_allclose(sets.train.images, pixels(good.train_images[5:]), rtol=1e-6)
    assert np.array_equal(sets.test.labels.argmax(1), good.test_labels)
    assert sorted(mirror.requests) == sorted(("/good/%s.gz" % name, 200) for name in NAMES)
    data.read_data_sets(validation_size=5)
    assert len(mirror.requests) == 4  # the second load uses the cache


def test_no_download_when_download_is_false(mirror, good, monkeypatch):
    monkeypatch.setenv(data.MIRRORS_ENV, mirror.base + "good/")
    with pytest.raises(data.DataError, match="not found"):
        data.read_data_sets(download=False)
    assert mirror.requests == []


def test_404_on_first_mirror_falls_back_to_second(mirror, good, monkeypatch):
    monkeypatch.setenv(data.MIRRORS_ENV, mirror.base + "missing/ " + mirror.base + "good/")
    assert data.read_data_sets(validation_size=5).test.num_examples == 10
    for name in NAMES:
        assert ("/missing/%s.gz" % name, 404) in mirror.requests
        assert ("/good/%s.gz" % name, 200) in mirror.requests


def corrupt_bad_file(bad, how):
    path = bad.paths[data.TRAIN_LABELS]
    if how != "wrong content":
        with open(path, "rb") as stream:
            payload = stream.read()
        with open(path, "wb") as stream:
            stream.write(BAD_GZIP[how](payload))


@pytest.mark.parametrize("how", ["wrong content"] + sorted(BAD_GZIP))
def test_corrupt_download_is_an_error_and_leaves_nothing(mirror, good, bad, tmp_path, how):
    corrupt_bad_file(bad, how)
    cache = tmp_path / "cache"
    with pytest.raises(data.DataError) as excinfo:
        data.fetch(data.TRAIN_LABELS, str(cache), urls=[mirror.base + "bad/"])
    assert_one_line_naming(excinfo, data.TRAIN_LABELS, mirror.base + "bad/")
    assert os.listdir(str(cache)) == []  # neither the file nor a temporary (listdir shows dotfiles)


def test_corrupt_first_mirror_falls_back_to_good_one(mirror, good, bad, tmp_path):
    urls = [mirror.base + "bad/", mirror.base + "good/"]
    path = data.fetch(data.TRAIN_LABELS, str(tmp_path / "cache"), urls=urls)
    assert path == str(tmp_path / "cache" / (data.TRAIN_LABELS + ".gz"))
    with open(path, "rb") as fetched, open(good.paths[data.TRAIN_LABELS], "rb") as served:
        assert fetched.read() == served.read()


def test_all_mirrors_failing_is_one_line_naming_file_and_fix(mirror, good, bad, tmp_path):
    corrupt_bad_file(bad, "garbage")
    urls = [mirror.base + "missing/", mirror.base + "bad/", closed_port_url()]
    cache = tmp_path / "cache"
    with pytest.raises(data.DataError, match="could not download") as excinfo:
        data.fetch(data.TRAIN_LABELS, str(cache), urls=urls)
    assert_one_line_naming(excinfo, data.TRAIN_LABELS, *urls)
    assert_one_line_naming(excinfo, "by hand into %s" % cache, data.DATA_ENV)
    assert os.listdir(str(cache)) == []


def test_download_is_verified_before_it_is_renamed_into_place(mirror, good, bad, tmp_path, monkeypatch):
    events = []
    check_sha256, replace = data.check_sha256, os.replace

    def spy_check(content, expected, path):
        events.append("verify")
        return check_sha256(content, expected, path)

    def spy_replace(source, target):
        events.append("rename " + os.path.basename(target))
        assert os.path.dirname(source) == os.path.dirname(target)  # same file system: atomic
        return replace(source, target)

    monkeypatch.setattr(data, "check_sha256", spy_check)
    monkeypatch.setattr(data.os, "replace", spy_replace)
    with pytest.raises(data.DataError):
        data.fetch(data.TEST_LABELS, str(tmp_path / "cache"), urls=[mirror.base + "bad/"])
    assert events == ["verify"]
    data.fetch(data.TEST_LABELS, str(tmp_path / "cache"), urls=[mirror.base + "good/"])
    assert events == ["verify", "verify", "rename %s.gz" % data.TEST_LABELS]


def test_dropped_connection_falls_back_to_next_mirror(mirror, good, tmp_path):
    urls = [mirror.base + "drop/", mirror.base + "good/"]
    path = data.fetch(data.TRAIN_LABELS, str(tmp_path / "cache"), urls=urls)
    assert os.path.isfile(path)


# --- the mnist MNIST ----------------------------------------------------------------------------

def real_path(directory, name):
    return next(os.path.join(directory, candidate) for candidate in (name, name + ".gz")
                if os.path.isfile(os.path.join(directory, candidate)))


@pytest.fixture(scope="module")
def real_raw_train(mnist_dir):
    images_path, labels_path = (real_path(mnist_dir, name) for name in (data.TRAIN_IMAGES, data.TRAIN_LABELS))
    images = data.parse_images(data.read_file(images_path), images_path)
    return images, data.parse_labels(data.read_file(labels_path), labels_path, len(images))


def test_real_split_sizes(mnist):
    sizes = [blog.TRAIN_EXAMPLES, blog.VALIDATION_EXAMPLES, blog.TEST_EXAMPLES]
    assert [s.num_examples for s in mnist] == sizes


def test_real_images_float32_rows_from_0_to_1(mnist):
    for dataset in mnist:
        assert dataset.images.dtype == np.float32
        assert dataset.images.shape == (dataset.num_examples, blog.INPUT_SIZE)
        assert dataset.images.min() == 0.0 and dataset.images.max() == 1.0


def test_real_labels_one_hot(mnist):
    for dataset in mnist:
        assert dataset.labels.dtype == np.float32
        assert dataset.labels.shape == (dataset.num_examples, blog.NUM_CLASSES)
        assert np.array_equal(dataset.labels.sum(1), np.ones(dataset.num_examples))


def test_real_validation_is_first_5000_training_images(mnist, real_raw_train):
    images, labels = real_raw_train
    held_out = blog.VALIDATION_EXAMPLES
    assert np.array_equal(np.rint(mnist.validation.images * 255), images[:held_out].reshape(held_out, -1))
    assert np.array_equal(mnist.validation.labels.argmax(1), labels[:held_out])
    train = images[held_out:].reshape(blog.TRAIN_EXAMPLES, -1)
    assert np.array_equal(np.rint(mnist.train.images * 255), train)


@pytest.mark.parametrize("name", NAMES)
def test_real_files_match_their_checksums(name, mnist_dir):
    assert hashlib.sha256(data.read_file(real_path(mnist_dir, name))).hexdigest() == data.SHA256[name]


def test_real_class_counts_are_plausible(mnist):
    counts = mnist.train.labels.sum(0)
    assert counts.sum() == blog.TRAIN_EXAMPLES
    assert (counts > 4000).all()


def test_the_data_order_of_seed_21_is_the_same_on_every_numpy():
    """RandomState's stream is frozen, so TensorFlow 1.15's numpy 1.18 and today's serve the same order
    (SHA-256 of the four epochs' 220,000 indices of ``next_batch(1)``, seed 21, as both CI legs give it)."""
    n = blog.TRAIN_EXAMPLES
    order = data.DataSet(np.zeros((n, 1), np.float32), np.zeros((n, blog.NUM_CLASSES), np.float32),
                         seed=blog.SEED)
    indices = np.concatenate([order.next_indices(n) for _ in range(blog.EPOCHS)]).astype("<i8")
    assert hashlib.sha256(indices.tobytes()).hexdigest() == (
        "3293ddb327e236fae6b42ee0d0f15eec787e89312ef0184f88658a2b09a1f51b")
