"""An ingest tells a progress display how it goes: the rows read after each batch, across
every file, then the rows it is about to write."""

from __future__ import annotations

from pathlib import Path

from variosync import Settings, Variosync

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"


def test_rows_read_grow_across_files_then_the_write_is_announced(tmp_path: Path) -> None:
    heard: list[tuple[str, int]] = []
    first = tmp_path / "meter.csv"
    lines = [f"2024-02-01T00:{m // 60:02d}:{m % 60:02d}Z,meter,{m}" for m in range(3600)]
    first.write_text("timestamp,sensor,power\n" + "\n".join(lines) + "\n")
    with Variosync(Settings(home=tmp_path / "home", ingest_batch_rows=1000)) as vs:
        report = vs.ingest([first, SAMPLE], "sensors", progress=lambda *told: heard.append(told))
    reads = [rows for phase, rows in heard if phase == "read"]
    assert reads == sorted(reads) and len(reads) >= 3600 // 1000 + 1  # batch by batch
    assert reads[-1] == report.rows_read == 3600 + 1080  # across both files
    assert heard[-1] == ("write", 4680)
