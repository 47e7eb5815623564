"""Upload: a 1 GiB file through Atelier's real upload path (the JSON API's streamed
upload → private storage → Kie's upload host), against sending the same bytes straight
to the upload host (the baseline, same run). Peak RSS growth of the Atelier process."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from app.providers.kie import KieClient
from tests.bench.processes import PYTHON, MemoryWatch, simulator
from tests.bench.report import Section
from tests.api.support import bearer_headers
from tests.databases import migrate_to_head
from tests.processes import free_port, running_process

MIB = 1024 * 1024
PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def _body(size: int, chunk: int = MIB):
    yield PNG_HEAD
    sent, block = len(PNG_HEAD), b"\x00" * chunk
    while sent < size:
        piece = block[: min(chunk, size - sent)]
        sent += len(piece)
        yield piece


def measure(size: int = 1024 * MIB) -> Section:
    workdir = Path(tempfile.mkdtemp(prefix="atelier-upload-"))
    database_url = f"sqlite:///{workdir / 'atelier.db'}"
    db = migrate_to_head(database_url)
    headers = bearer_headers(db)
    db.dispose()
    with simulator(workdir) as sim_url:
        # Baseline: the same bytes, straight to the upload host, from a file on disk.
        source = workdir / "source.bin"
        with open(source, "wb") as handle:
            for piece in _body(size):
                handle.write(piece)
        async def direct() -> float:
            async with KieClient("bench", sim_url, sim_url, timeout=600) as client:
                started = time.perf_counter()
                await client.upload_file_stream(source, "bench", "direct.png")
                return time.perf_counter() - started

        direct_seconds = asyncio.run(direct())
        source.unlink()

        port = free_port()
        env = {"DATABASE_URL": database_url, "STORAGE_DIR": str(workdir / "files"),
               "KIE_API_KEY": "bench", "KIE_BASE_URL": sim_url, "KIE_UPLOAD_BASE_URL": sim_url,
               "UPLOAD_MAX_BYTES": str(size + MIB), "ENGINE_ENABLED": "false"}
        args = [PYTHON, "-m", "uvicorn", "app.api.routes:build_api", "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        base = f"http://127.0.0.1:{port}"
        with running_process(args, [base + "/api/health"], env, workdir / "api.log") as api:
            with MemoryWatch(api.pid) as watch:
                started = time.perf_counter()
                response = httpx.post(base + "/api/uploads?name=big.png", content=_body(size),
                                      headers=headers, timeout=600)
                atelier_seconds = time.perf_counter() - started
            assert response.status_code == 201, response.text
            growth = (watch.peak - watch.start_rss) / MIB
    section = Section("Upload: 1 GiB through the real upload path",
                      "make bench  (tests/bench/upload.py)")
    gib = size / (1024 * MIB)
    section.note("Atelier path: HTTP stream to the JSON API → private storage (sha256, type "
                 "sniffing) → streamed multipart to the simulator's upload host. Baseline: the "
                 "Kie client streaming the same bytes from disk straight to the upload host.")
    section.table(
        ["path", "size", "seconds", "MiB/s", "vs baseline", "Atelier peak RSS growth"],
        [["baseline: direct to upload host", f"{gib:.2f} GiB", f"{direct_seconds:.1f}",
          f"{size / MIB / direct_seconds:.0f}", "1.00", "—"],
         ["Atelier: JSON API upload", f"{gib:.2f} GiB", f"{atelier_seconds:.1f}",
          f"{size / MIB / atelier_seconds:.0f}", f"{atelier_seconds / direct_seconds:.2f}",
          f"{growth:.1f} MiB (goal < 64 MiB)"]],
    )
    return section


if __name__ == "__main__":
    print(measure(64 * MIB).render())
