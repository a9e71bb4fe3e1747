"""The htty command: `htty --version`, and `htty echo WORDS` through the bundled ht, as HTML."""

import argparse
import subprocess

from ansi2html import Ansi2HTMLConverter
from htty_core import find_ht


def main() -> None:
    parser = argparse.ArgumentParser(prog="htty")
    parser.add_argument("--version", action="version", version="htty 0.2.30 (unknown)")
    parser.add_argument("words", nargs="*")
    args = parser.parse_args()
    out = subprocess.run([find_ht(), "echo", *args.words], check=True, capture_output=True, text=True)
    print(Ansi2HTMLConverter(inline=True).convert(out.stdout, full=False))
