"""Packaging for mtneuron; TensorFlow comes through extras so users choose the build."""

from setuptools import find_packages, setup

# TensorFlow 1.15 (Python 3.7) was built against protobuf 3: protobuf 4 fails at `import tensorflow`
# ("Descriptors cannot be created directly").
TF1 = ["tensorflow==1.15.5; python_version < '3.8'", "protobuf>=3.8,<3.21; python_version < '3.8'"]

# TensorFlow 2.x no longer depends on TensorBoard, which reads the sweeps' scalars and HParams;
# TensorFlow 1.15 brings its own 1.15.
TENSORBOARD = ["tensorboard>=2.4; python_version >= '3.8'"]
MNIST1D = "mnist1d==0.0.2.post1"  # MNIST-1D, generated offline (data1d); the tests fingerprint its arrays

with open("README.md") as stream:
    long_description = stream.read()

setup(
    name="mtneuron",
    version="0.1.0",
    description="Multi-threshold neurons in TensorFlow 1.x graph mode: a faithful reproduction "
                "of the 2018 blog and beyond",
    long_description=long_description,
    long_description_content_type="text/markdown",
    packages=find_packages(include=["mtneuron", "mtneuron.*"]),
    python_requires=">=3.7",
    install_requires=["numpy>=1.16", "scipy>=1.2", "matplotlib>=3.1", "tqdm>=4.40"],
    extras_require={
        "cpu": ["tensorflow-cpu>=2.4; python_version >= '3.8'"] + TENSORBOARD + TF1,
        "tf": ["tensorflow>=2.4; python_version >= '3.8'"] + TENSORBOARD + TF1,
        "tf1": [requirement.split(";")[0] for requirement in TF1],
        "ray": ["ray>=2.5"],
        "mnist1d": [MNIST1D],
        "test": ["pytest>=6", "nbclient>=0.5", "nbformat>=5", "ipykernel>=5", "ruff", MNIST1D],
    },
    entry_points={"console_scripts": ["mtneuron=mtneuron.cli.main:main"]},
    classifiers=["Programming Language :: Python :: 3",
                 "Topic :: Scientific/Engineering :: Artificial Intelligence"],
)
