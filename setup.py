"""Packaging for mtneuron: the metadata is in pyproject.toml; this adds what a static file cannot."""

import re

import setuptools
from setuptools import setup

README_LINK = re.compile(r"(!?)\[([^\]]*)\]\((?!https?://|#)([^)]+)\)")  # a relative link or image


def version():
    """``__version__`` of mtneuron/__init__.py, the version's one place (read, not imported)."""
    with open("mtneuron/__init__.py") as stream:
        return re.search(r'^__version__ = "([^"]+)"', stream.read(), re.M).group(1)


def long_description():
    """README for an index page: its relative links point into a checkout, so each becomes its text and
    the path it names in the source distribution; an image becomes its caption."""
    with open("README.md") as stream:
        text = stream.read()
    return README_LINK.sub(lambda link: "*(figure: %s)*" % link.group(2) if link.group(1) else
                           "%s (`%s` in the sources)" % (link.group(2), link.group(3)), text)


def licence():
    """MIT, as each setuptools takes it: an SPDX expression from setuptools 77 on, else the licence field."""
    major = int(setuptools.__version__.split(".")[0])
    return {"license_expression": "MIT"} if major >= 77 else {"license": "MIT"}


setup(version=version(), long_description=long_description(), long_description_content_type="text/markdown",
      license_files=["LICENSE"], **licence())
