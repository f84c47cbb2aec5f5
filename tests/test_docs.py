"""README and docs/: every relative link resolves, and every command shown exists with the options it uses."""

import glob
import os
import re

import pytest

from mtneuron.cli import main
from tests.helpers import ROOT

RESULTS = os.path.join(ROOT, "results")
PAGES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)
COMMAND = re.compile(r"(?:^|&& |bin/)(mtneuron|python scripts/reproduce_blog\.py|python -m mtneuron)"
                     r"((?: [^\n#]*)?)", re.M)


def code(text):
    """The page's code: fenced blocks and inline spans, one piece per line."""
    blocks = FENCE.findall(text)
    inline = re.findall(r"`([^`\n]+)`", FENCE.sub("", text))
    return [line.strip() for piece in blocks + inline for line in piece.split("\n")]


def links(page):
    with open(page) as stream:
        return [target for target in LINK.findall(stream.read()) if not re.match(r"[a-z]+://", target)]


def commands(page):
    """``(command name, options)`` of every command line the page shows."""
    with open(page) as stream:
        text = stream.read()
    found = []
    for program, rest in [match for line in code(text) for match in COMMAND.findall(line)]:
        words = rest.split()
        if program != "python scripts/reproduce_blog.py":
            if not words or words[0].startswith("-"):
                continue  # mtneuron --help, mtneuron --version
            name, words = words[0], words[1:]
        else:
            name = "reproduce"
        found.append((name, [word.split("=")[0] for word in words if word.startswith("--")]))
    return found


@pytest.mark.parametrize("page", PAGES, ids=os.path.basename)
def test_every_relative_link_resolves(page):
    missing = [target for target in links(page)
               if not os.path.exists(os.path.join(os.path.dirname(page), target))]
    if not os.path.isdir(RESULTS):  # a source distribution: it ships no results, which a checkout has
        missing = [target for target in missing
                   if not _into(os.path.join(os.path.dirname(page), target), RESULTS)]
    assert not missing, missing


def _into(path, directory):
    return os.path.abspath(path).startswith(os.path.abspath(directory) + os.sep)


@pytest.mark.parametrize("page", PAGES, ids=os.path.basename)
def test_every_command_shown_exists_with_its_options(page, capsys):
    for name, options in commands(page):
        assert name in main.COMMANDS, "%s shows mtneuron %s" % (os.path.basename(page), name)
        assert main.main([name, "--help"]) == 0
        text = capsys.readouterr().out
        unknown = [option for option in options if option not in text]
        assert not unknown, "%s: mtneuron %s %s" % (os.path.basename(page), name, unknown)


def test_the_pages_show_commands_and_links():
    assert sum(len(commands(page)) for page in PAGES) > 20 and sum(len(links(page)) for page in PAGES) > 30


def test_the_citation_file_and_the_readme_cite_the_same_works():
    import yaml

    with open(os.path.join(ROOT, "CITATION.cff")) as stream:
        citation = yaml.safe_load(stream)
    with open(os.path.join(ROOT, "README.md")) as stream:
        readme = stream.read()
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
    for reference in citation["references"]:
        assert reference["title"].split()[0] in readme and str(reference["year"]) in readme
        assert reference.get("doi", reference.get("url")) in readme
