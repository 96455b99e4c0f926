"""The ``salesops`` console command.

``salesops <django command>`` runs any management command (migrate, createsuperuser …);
our own commands are ``run`` (web + worker), ``worker``, ``demo`` and ``tick``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "salesops"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
