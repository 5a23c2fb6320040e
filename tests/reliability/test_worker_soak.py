"""Ten thousand activities through one reports worker process, its memory sampled throughout.

Proves: a long-running worker does every activity exactly once and its resident memory stays
bounded: after warm-up it grows by less than ``MAX_GROWTH_BYTES``. Reports are the fastest way
to 10,000 activities (one activity per chunk, few workflows to start); order activities cost
three times more per workflow because every order is a new sandboxed workflow run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from contracts.reports import REPORT, ReportConfig
from worker_reports.activities import CHUNK_WRITTEN_KIND, REPORT_WRITTEN_KIND

from tests.reliability.figures import Figures
from tests.reliability.load import wait_until
from tests.reliability.system import running_system

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]

REPORTS = 20
CHUNKS_PER_REPORT = 500
ACTIVITIES = REPORTS * (CHUNKS_PER_REPORT + 1)
"""Every chunk is one activity, and so is assembling each report: 10,020."""
WARM_UP_ACTIVITIES = 2000
MIB = 1024 * 1024
MAX_GROWTH_BYTES = 32 * MIB
"""A fixed allowance rather than a percentage: a worker process starts at roughly 100-150 MiB, and
a leak of even 4 KiB per activity over the 8,000 activities after warm-up would exceed it, while
allocator noise and caches that fill once stay well below it."""


async def test_ten_thousand_activities_through_one_worker_keep_its_memory_bounded(
    tmp_path: Path, figures: Figures
) -> None:
    prefix = f"soak-{uuid.uuid4().hex[:6]}"
    report_ids = [f"{prefix}-{n}" for n in range(REPORTS)]
    async with running_system(tmp_path) as system:
        worker = await system.start_worker("reports")
        client = await system.client()
        log = system.side_effects
        samples: list[tuple[int, int]] = []

        async def chunks_written(at_least: int) -> bool:
            return await asyncio.to_thread(log.count, CHUNK_WRITTEN_KIND) >= at_least

        started = time.monotonic()
        handles = [
            await REPORT.start(
                client, ReportConfig(rows=CHUNKS_PER_REPORT, chunk_size=1), id=report_id
            )
            for report_id in report_ids
        ]
        warm = await wait_until(lambda: chunks_written(WARM_UP_ACTIVITIES), timeout=300)
        assert warm is not None, "warm-up never finished"
        warm_bytes = worker.resident_bytes()

        async def sample_memory() -> None:
            while True:
                done = await asyncio.to_thread(log.count, CHUNK_WRITTEN_KIND)
                samples.append((done, worker.resident_bytes()))
                await asyncio.sleep(2)

        sampler = asyncio.create_task(sample_memory())
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(handle.result() for handle in handles)), timeout=500
            )
        finally:
            sampler.cancel()
        elapsed = time.monotonic() - started
        end_bytes = worker.resident_bytes()
        events = log.entries(key_prefix=f"{prefix}-")
        await system.stop_worker(worker)

    chunks = Counter(e.key for e in events if e.kind == CHUNK_WRITTEN_KIND)
    assembled = Counter(e.key for e in events if e.kind == REPORT_WRITTEN_KIND)
    activities = sum(chunks.values()) + sum(assembled.values())
    growth = end_bytes - warm_bytes
    figures.requests = figures.accepted = ACTIVITIES
    figures.completed = activities
    figures.duplicates = sum(n - 1 for n in chunks.values()) + sum(
        n - 1 for n in assembled.values()
    )
    figures.lost = ACTIVITIES - len(chunks) - len(assembled)
    figures.extra.update(
        reports=REPORTS,
        seconds=elapsed,
        activities_per_second=activities / elapsed,
        rss_warm_mib=warm_bytes / MIB,
        rss_end_mib=end_bytes / MIB,
        rss_peak_mib=max([warm_bytes, end_bytes, *(rss for _, rss in samples)]) / MIB,
        growth_mib=growth / MIB,
    )

    assert [result.rows for result in results] == [CHUNKS_PER_REPORT] * REPORTS
    assert figures.lost == 0
    assert figures.duplicates == 0
    assert activities >= 10_000
    assert growth < MAX_GROWTH_BYTES, [(done, rss // MIB) for done, rss in samples]
