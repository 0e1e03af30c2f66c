"""The command line: a thin shell over the ``Variosync`` facade.

The CLI is its own process, so it may tune polars' allocator before polars loads: jemalloc's
default keeps freed pages for ten seconds, which makes a streaming ingest of a large file look
(and, for the OOM killer, be) several hundred MB bigger than the data it holds. A value the user
set wins.
"""

import os

os.environ.setdefault(
    "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:300,muzzy_decay_ms:0"
)
