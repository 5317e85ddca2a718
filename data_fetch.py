#!/usr/bin/env python
"""Download, check and share the course's data sets. Run `python data_fetch.py --help`.

    python data_fetch.py list              what exists, its size and source, and what is cached
    python data_fetch.py fetch mnist       download (with a progress bar) and verify; or --all
    python data_fetch.py verify            check the SHA256 of every cached file
    python data_fetch.py mirror DIR        copy the verified cache into DIR to serve to a room

COURSE_DATA_DIR sets the cache folder; COURSE_DATA_MIRROR (a base URL or a folder) is tried before
the origin. The work is done by course_utils.data (install the package first: see README.md).
"""

import sys

from course_utils.data.cli import main

if __name__ == "__main__":
    sys.exit(main())
