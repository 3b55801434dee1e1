"""Run the engine with `python -m haul_engine`."""

import sys

from haul_engine.cli import main

sys.exit(main())
