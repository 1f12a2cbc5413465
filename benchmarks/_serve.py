"""Entry point of a server process: ``python -m benchmarks._serve mock|bare --port P [...]``.

Separate from ``_servers`` so that ``-m`` does not import a module the package already imported.
"""

from benchmarks._servers import main

main()
