"""The same product on S3-compatible storage (moto's server on loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from variosync import Settings, Variosync

pytestmark = pytest.mark.s3


def test_ingest_query_history_restore_delete_on_s3(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    settings = Settings(
        home=tmp_path / "home",
        store_url=f"s3://{s3_bucket}/variosync",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    first = tmp_path / "a.csv"
    first.write_text("time,value\n2024-01-01T00:00:00Z,1\n2024-01-01T01:00:00Z,2\n")
    second = tmp_path / "a2.csv"
    second.write_text("time,value,series\n2024-01-01T01:00:00Z,20,a\n2024-01-01T02:00:00Z,3,a\n")
    with Variosync(settings) as service:
        assert service.ingest([first], "remote").rows_written == 2
        assert service.ingest([second], "remote").version == 1
        assert service.query("remote").get_column("value").to_list() == [1, 20, 3]
        assert service.query("remote", as_of=0).get_column("value").to_list() == [1, 2]
        assert [v.version for v in service.history("remote")] == [1, 0]
        service.restore("remote", 0)
        assert service.query("remote").get_column("value").to_list() == [1, 2]
        assert service.catalog.get("remote").row_count == 2
        out = tmp_path / "out.parquet"
        assert service.export("remote", out) == 2
        service.delete("remote")
        assert service.datasets() == []
    assert not (tmp_path / "home" / "store").exists()
