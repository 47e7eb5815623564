"""Results that last: private copies of what Kie generated (Kie deletes its own after
14 days), the checks a download must pass, and the background loop that makes them.

    links.py    the route path a mirrored result is served at
    storage.py  where copies live on disk (random names), removal and leftover sweeps
    sources.py  which URLs may be fetched at all (scheme, host, address, redirects)
    content.py  whether the bytes are the media the task promised
    fetch.py    one streamed, capped, timed download into a temporary file
    mirror.py   one task's results → ResultFile rows (idempotent)
    claims.py   which succeeded tasks still need mirroring, leased to one process
    loop.py     the background loop the engine runs beside its polling
"""
