"""``python -m course_utils.data COMMAND``: the same command line as ``data_fetch.py``."""

import sys

from course_utils.data.cli import main

sys.exit(main())
