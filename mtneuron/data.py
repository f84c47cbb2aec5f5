"""MNIST as TensorFlow 1.x's ``read_data_sets`` served it, without TensorFlow.

Files are looked up in the ``data_dir`` argument, else ``$MTNEURON_DATA``, else a user cache
directory; only the cache is filled by downloading from public mirrors. Every file is
checked (gzip integrity, IDX magic, counts, shape, SHA-256 of the decompressed content)
before any of it is used.
"""

import collections
import functools
import gzip
import hashlib
import http.client
import operator
import os
import struct
import urllib.request
import zlib

import numpy as np

from mtneuron import blog
from mtneuron.blog import IMAGE_SHAPE, NUM_CLASSES
from mtneuron.run.files import atomic_path

DATA_ENV = "MTNEURON_DATA"
CACHE_ENV = "MTNEURON_CACHE"
MIRRORS_ENV = "MTNEURON_MNIST_MIRRORS"
MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
# SHA-256 of the decompressed files: gzip bytes differ between mirrors, the content does not.
SHA256 = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


class DataError(ValueError):
    """Bad or missing MNIST data; the message is one line naming the file and the fix."""


class DataSet:
    """Images and labels served in batches with TF1's epoch semantics.

    The whole set is permuted on the first call; a batch that runs past the end of an
    epoch takes the tail, permutes again and completes from the start of the new epoch.
    Permutations come from this object's own ``RandomState(seed)``, never numpy's global one.
    """

    def __init__(self, images, labels, seed=None):
        if len(images) != len(labels):
            raise DataError("images and labels differ in count: %d vs %d" % (len(images), len(labels)))
        self.images = images
        self.labels = labels
        self._rng = np.random.RandomState(seed)
        self._order = np.arange(len(images))
        self._index_in_epoch = 0
        self.epochs_completed = 0

    @property
    def num_examples(self):
        return len(self.images)

    def next_batch(self, batch_size, shuffle=True):
        """Return the next ``(images, labels)`` batch of ``batch_size`` examples."""
        indices = self.next_indices(batch_size, shuffle)
        return self.images[indices], self.labels[indices]

    def next_indices(self, batch_size, shuffle=True):
        """Indices of the examples ``next_batch`` would serve next, advancing the same state.

        ``k`` calls with batch size 1 give the same indices as one call with batch size ``k``.
        """
        if not 0 < batch_size <= self.num_examples:
            raise ValueError("batch_size must be in 1..%d, got %r" % (self.num_examples, batch_size))
        start = self._index_in_epoch
        if self.epochs_completed == 0 and start == 0 and shuffle:
            self._order = self._rng.permutation(self.num_examples)
        if start + batch_size <= self.num_examples:
            self._index_in_epoch = start + batch_size
            return self._order[start:self._index_in_epoch]
        self.epochs_completed += 1
        tail = self._order[start:]
        if shuffle:
            self._order = self._rng.permutation(self.num_examples)
        self._index_in_epoch = batch_size - len(tail)
        return np.concatenate([tail, self._order[:self._index_in_epoch]])

    def state(self):
        """Where the data order stands, as numpy arrays (a checkpoint's): ``set_state`` resumes it."""
        _, keys, position, has_gauss, gaussian = self._rng.get_state()
        return {"rng_keys": keys, "rng_position": np.array(position), "rng_has_gauss": np.array(has_gauss),
                "rng_gaussian": np.array(gaussian), "order": self._order,
                "index_in_epoch": np.array(self._index_in_epoch),
                "epochs_completed": np.array(self.epochs_completed)}

    def set_state(self, state):
        """Resume the data order from ``state()``; a state that does not fit this set changes nothing
        and raises ``ValueError`` (or ``KeyError`` for a missing array)."""
        rng = np.random.RandomState()
        rng.set_state(("MT19937", state["rng_keys"], int(state["rng_position"]), int(state["rng_has_gauss"]),
                       float(state["rng_gaussian"])))
        order, index, epochs = (np.array(state["order"]), int(state["index_in_epoch"]),
                                int(state["epochs_completed"]))
        if not np.array_equal(np.sort(order), np.arange(self.num_examples)) or not 0 <= index <= len(order):
            raise ValueError("the data order does not fit a set of %d examples" % self.num_examples)
        self._rng, self._order, self._index_in_epoch, self.epochs_completed = rng, order, index, epochs


def read_data_sets(data_dir=None, one_hot=True, validation_size=blog.VALIDATION_EXAMPLES, seed=None,
                   download=True, verify=True):
    """Load MNIST into ``Datasets(train, validation, test)`` like TF1's ``input_data``.

    Validation is the first ``validation_size`` training examples, train the rest; images
    are float32 ``(N, 784)`` in [0, 1], labels one-hot float32 ``(N, 10)`` (or uint8 class
    ids when ``one_hot=False``). ``seed`` drives the train set's shuffling; the other two
    sets get seeds derived from it.
    """
    paths = mnist_files(data_dir, download)
    raw = {name: read_file(path, SHA256[name] if verify else None) for name, path in paths.items()}
    train_images = parse_images(raw[TRAIN_IMAGES], paths[TRAIN_IMAGES])
    train_labels = parse_labels(raw[TRAIN_LABELS], paths[TRAIN_LABELS], len(train_images))
    test_images = parse_images(raw[TEST_IMAGES], paths[TEST_IMAGES])
    test_labels = parse_labels(raw[TEST_LABELS], paths[TEST_LABELS], len(test_images))
    for name, images in ((TRAIN_IMAGES, train_images), (TEST_IMAGES, test_images)):
        if images.shape[1:] != IMAGE_SHAPE:
            raise DataError("%s holds images of shape %s, expected %s: it is not MNIST"
                            % (paths[name], images.shape[1:], IMAGE_SHAPE))
    if not 0 <= validation_size <= len(train_images):
        raise DataError("validation_size must be in 0..%d, got %d" % (len(train_images), validation_size))

    def make(images, labels, offset):
        labels = one_hot_encode(labels) if one_hot else labels
        return DataSet(scale(images), labels, None if seed is None else seed + offset)

    return Datasets(
        train=make(train_images[validation_size:], train_labels[validation_size:], 0),
        validation=make(train_images[:validation_size], train_labels[:validation_size], 1),
        test=make(test_images, test_labels, 2),
    )


DATA_SETS = ("mnist", "mnist1d")


def load(name, data_dir=None, seed=None):
    """The data set ``name`` (``DATA_SETS``) as ``Datasets``: MNIST from ``data_dir`` (``read_data_sets``),
    MNIST-1D generated (``data1d``)."""
    if name == "mnist":
        return read_data_sets(data_dir, seed=seed)
    if name == "mnist1d":
        from mtneuron.data1d import read_mnist1d
        return read_mnist1d(seed)
    raise DataError("unknown data set %r: choose one of %s" % (name, ", ".join(DATA_SETS)))


def centred(datasets):
    """``datasets`` with the training set's per-feature mean subtracted from every set (inputs of both
    signs, so that a first multi-threshold layer is not linear)."""
    mean = datasets.train.images.mean(axis=0, dtype=np.float64).astype(np.float32)
    return Datasets(*[DataSet(part.images - mean, part.labels) for part in datasets])


def mnist_files(data_dir=None, download=True):
    """Paths of the four MNIST files, downloading into the cache when that is where they belong."""
    directory = find_data_dir(data_dir)
    return {name: locate(directory, name, download=download and directory == cache_dir())
            for name in SHA256}


def scale(images):
    """Flatten ``(N, rows, cols)`` uint8 images to float32 ``(N, rows*cols)`` in [0, 1]."""
    flat = images.reshape(len(images), int(np.prod(images.shape[1:])))
    return flat.astype(np.float32) * np.float32(1.0 / 255.0)


def one_hot_encode(labels, num_classes=NUM_CLASSES):
    """Class ids ``(N,)`` to one-hot float32 ``(N, num_classes)``."""
    encoded = np.zeros((len(labels), num_classes), dtype=np.float32)
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


def cache_dir():
    """Where downloads go: ``$MTNEURON_CACHE``, else ``$XDG_CACHE_HOME/mtneuron/mnist``."""
    if os.environ.get(CACHE_ENV):
        return os.path.abspath(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mtneuron", "mnist")


def find_data_dir(data_dir=None):
    """The directory to read: the argument, else ``$MTNEURON_DATA``, else the cache."""
    if data_dir:
        return os.path.abspath(os.path.expanduser(data_dir))
    if os.environ.get(DATA_ENV):
        return os.path.abspath(os.path.expanduser(os.environ[DATA_ENV]))
    return cache_dir()


def locate(directory, name, download=False):
    """Path of ``name`` (raw IDX or ``.gz``) in ``directory``, downloading it when allowed."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    if not download:
        raise DataError(
            "MNIST file %s(.gz) not found in %s: put the four MNIST files there, pass another "
            "data_dir or set %s" % (name, directory, DATA_ENV))
    return fetch(name, directory)


def mirrors():
    """Base URLs to download from: ``$MTNEURON_MNIST_MIRRORS`` (space-separated) or the defaults."""
    return tuple(os.environ.get(MIRRORS_ENV, "").split()) or MIRRORS


def fetch(name, directory, urls=None, timeout=60):
    """Download ``name.gz`` from the first mirror that serves it with the right SHA-256.

    The file is written to a temporary name and renamed only once verified, so a failed or
    interrupted download never leaves a partial file behind.
    """
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, name + ".gz")
    failures = []
    for base in urls or mirrors():
        url = base.rstrip("/") + "/" + name + ".gz"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                payload = response.read()
            check_sha256(decompress(payload, url), SHA256[name], url)
        except (OSError, http.client.HTTPException, DataError) as error:
            failures.append("%s (%s)" % (url, error))
            continue
        with atomic_path(target) as temporary, open(temporary, "wb") as stream:
            stream.write(payload)
        return target
    raise DataError(
        "could not download MNIST file %s: %s; download it by hand into %s or set %s"
        % (name, "; ".join(failures), directory, DATA_ENV))


def decompress(payload, path):
    """Gunzip ``payload`` read from ``path``; a truncated or corrupt archive is a DataError."""
    try:
        return gzip.decompress(payload)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError("%s is a truncated or corrupt gzip file (%s): delete it and download it "
                        "again" % (path, error)) from None


def read_file(path, sha256=None):
    """Bytes of an IDX file, gunzipped when it ends in ``.gz``, checked against ``sha256``."""
    with open(path, "rb") as stream:
        payload = stream.read()
    content = decompress(payload, path) if path.endswith(".gz") else payload
    if sha256 is not None:
        check_sha256(content, sha256, path)
    return content


def check_sha256(content, expected, path):
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        raise DataError("%s fails its checksum (SHA-256 of the content is %s, expected %s): delete "
                        "it and download it again" % (path, actual, expected))


def parse_images(content, path):
    """IDX3 bytes (magic 2051, count, rows, cols, pixels) to a uint8 ``(count, rows, cols)``."""
    _, count, rows, cols = unpack_header(content, ">IIII", IMAGES_MAGIC, path)
    return body(content, 16, (count, rows, cols), path)


def parse_labels(content, path, expected_count=None):
    """IDX1 bytes (magic 2049, count, labels) to uint8 ``(count,)`` with values 0..9."""
    _, count = unpack_header(content, ">II", LABELS_MAGIC, path)
    if expected_count is not None and count != expected_count:
        raise DataError("%s holds %d labels but its images file holds %d: the two files do not "
                        "belong together; download both again" % (path, count, expected_count))
    labels = body(content, 8, (count,), path)
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError("%s has a label %d outside 0..9: delete it and download it again"
                        % (path, labels.max()))
    return labels


def unpack_header(content, layout, magic, path):
    size = struct.calcsize(layout)
    if len(content) < size:
        raise DataError("%s is too short for an IDX header (%d bytes): delete it and download it "
                        "again" % (path, len(content)))
    header = struct.unpack(layout, content[:size])
    if header[0] != magic:
        raise DataError("%s has magic number %d, expected %d: it is not the right MNIST IDX file"
                        % (path, header[0], magic))
    return header


def body(content, offset, shape, path):
    expected = functools.reduce(operator.mul, shape, 1)  # Python ints: a crafted header cannot overflow
    if len(content) - offset != expected:
        raise DataError("%s should hold %d bytes of data for shape %s but holds %d: it is "
                        "truncated or padded; delete it and download it again"
                        % (path, expected, shape, len(content) - offset))
    return np.frombuffer(content, dtype=np.uint8, offset=offset).reshape(shape)
