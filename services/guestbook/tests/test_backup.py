"""`python3 -m guestbook.backup`, the backup CronJob's upload and the restore's fetch, against a
real S3 API (moto's server on loopback): what lands in the bucket, the history it keeps, and the
one-line failures a Job shows."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from guestbook.backup import kept

SERVICE_DIR = Path(__file__).resolve().parent.parent
BUCKET = "guestbook-backups"
PREFIX = "guestbook-dev/"
DUMP = b"PGDMP\x01\x0e\x00" + os.urandom(2048)  # what pg_dump --format=custom starts with


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from gitops.localservers.s3 import s3_server

    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server.endpoint


@pytest.fixture
def bucket(s3: str, request: pytest.FixtureRequest):
    client = boto3.client(
        "s3",
        endpoint_url=s3,
        region_name="us-east-1",
        aws_access_key_id="drill",
        aws_secret_access_key="drill",
    )
    name = f"{BUCKET}-{abs(hash(request.node.name)) % 10**8}"
    client.create_bucket(Bucket=name)
    return client, name


def _env(s3: str, bucket: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BACKUP_"))}
    return {
        **env,
        "BACKUP_BUCKET": bucket,
        "BACKUP_PREFIX": PREFIX,
        "BACKUP_ENDPOINT": s3,
        "AWS_ACCESS_KEY_ID": "drill",
        "AWS_SECRET_ACCESS_KEY": "drill",
        **extra,
    }


def _backup(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command the CronJob runs, in the image's working directory."""
    argv = [sys.executable, "-m", "guestbook.backup", *args]
    return subprocess.run(
        argv, cwd=SERVICE_DIR, env=env, capture_output=True, text=True, check=False
    )


def _keys(client, bucket: str) -> list[str]:
    answer = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def _stamp(moment: datetime) -> str:
    return f"{PREFIX}guestbook-{moment.strftime('%Y%m%dT%H%M%SZ')}.dump"


def test_upload_stores_the_dump_with_its_checksum(s3: str, bucket, tmp_path: Path) -> None:
    client, name = bucket
    dump = tmp_path / "guestbook.dump"
    dump.write_bytes(DUMP)
    result = _backup(_env(s3, name), "upload", str(dump))
    assert result.returncode == 0, result.stderr
    [key] = _keys(client, name)
    assert key.startswith(f"{PREFIX}guestbook-") and key.endswith("Z.dump")
    stored = client.get_object(Bucket=name, Key=key)
    assert stored["Body"].read() == DUMP
    assert stored["Metadata"]["sha256"] == hashlib.sha256(DUMP).hexdigest()
    assert f"uploaded s3://{name}/{key}" in result.stdout


def test_upload_keeps_seven_days_and_four_weeks_and_nothing_it_did_not_write(
    s3: str, bucket, tmp_path: Path
) -> None:
    client, name = bucket
    # Two backups a day, six hours apart, on the same calendar day whatever the hour the test
    # runs (from now, the earlier one fell on the day before between 00:00 and 06:00 UTC).
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    history = [noon - timedelta(days=d, hours=h) for d in range(1, 60) for h in (0, 6)]
    for moment in history:
        client.put_object(Bucket=name, Key=_stamp(moment), Body=DUMP)
    foreign = [f"{PREFIX}notes.txt", "other-app/guestbook-20200101T000000Z.dump"]
    for key in foreign:
        client.put_object(Bucket=name, Key=key, Body=b"not ours")
    dump = tmp_path / "guestbook.dump"
    dump.write_bytes(DUMP)

    result = _backup(_env(s3, name), "upload", str(dump))

    assert result.returncode == 0, result.stderr
    left = _keys(client, name)
    assert set(foreign) <= set(left)
    ours = [key for key in left if key not in foreign]
    days = {key[len(PREFIX) + 10 : len(PREFIX) + 18] for key in ours}
    assert len(ours) == len(days)  # one per day kept: the newest of each
    assert len(ours) <= 7 + 4
    newest_kept = sorted(ours)[-7:]
    assert newest_kept[-1] > _stamp(history[0])  # today's upload is kept
    # the six newest days of the old history are kept, each by its newest backup
    assert [k for k in newest_kept[:-1]] == [_stamp(m) for m in history[:12:2]][::-1]
    assert f"{len(ours)} kept" in result.stdout


def test_fetch_takes_the_newest_and_checks_it(s3: str, bucket, tmp_path: Path) -> None:
    client, name = bucket
    old, new = DUMP + b"old", DUMP + b"new"
    for body, age in ((old, 2), (new, 1)):
        moment = datetime.now(UTC).replace(microsecond=0) - timedelta(days=age)
        client.put_object(
            Bucket=name,
            Key=_stamp(moment),
            Body=body,
            Metadata={"sha256": hashlib.sha256(body).hexdigest()},
        )
    target = tmp_path / "restore.dump"
    result = _backup(_env(s3, name), "fetch", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == new
    assert list(tmp_path.iterdir()) == [target]


def test_fetch_refuses_a_backup_whose_bytes_changed(s3: str, bucket, tmp_path: Path) -> None:
    client, name = bucket
    key = _stamp(datetime(2026, 11, 1, 3, 17, tzinfo=UTC))
    recorded = hashlib.sha256(DUMP).hexdigest()
    client.put_object(Bucket=name, Key=key, Body=DUMP + b"tampered", Metadata={"sha256": recorded})
    target = tmp_path / "restore.dump"
    result = _backup(_env(s3, name, BACKUP_KEY=key), "fetch", str(target))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and f"{key}: sha256" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one


def test_upload_refuses_what_is_not_a_dump(s3: str, bucket, tmp_path: Path) -> None:
    client, name = bucket
    empty = tmp_path / "guestbook.dump"
    empty.write_bytes(b"")
    result = _backup(_env(s3, name), "upload", str(empty))
    assert result.returncode == 1
    assert "not a pg_dump custom-format archive (0 bytes)" in result.stderr
    assert _keys(client, name) == []


def test_fetch_from_an_empty_prefix_fails(s3: str, bucket, tmp_path: Path) -> None:
    _, name = bucket
    result = _backup(_env(s3, name), "fetch", str(tmp_path / "x.dump"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"backup: error: no backup under s3://{name}/{PREFIX}"


def test_a_missing_bucket_setting_is_a_configuration_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKUP_")}
    result = _backup(env, "list")
    assert result.returncode == 2
    assert result.stderr.startswith("backup: configuration error: BACKUP_BUCKET is not set")


def test_an_unreachable_store_fails_in_one_line(tmp_path: Path) -> None:
    from gitops.localservers import free_port

    dump = tmp_path / "guestbook.dump"
    dump.write_bytes(DUMP)
    env = _env(f"http://127.0.0.1:{free_port()}", BUCKET, AWS_MAX_ATTEMPTS="1")
    result = _backup(env, "upload", str(dump))
    assert result.returncode == 1
    assert result.stderr.startswith("backup: error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("ages_in_days", "daily", "weekly", "expected"),
    [
        ([], 7, 4, []),
        ([0, 1, 2], 7, 4, [0, 1, 2]),
        ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 1, [0, 1, 2]),
        # 2026-11-30 is a Monday: day 0 opens a week, days 1-7 are the week before
        ([0, 1, 8, 15, 22, 29, 36], 1, 4, [0, 1, 8, 15]),
    ],
)
def test_kept_is_the_newest_per_day_then_per_week(
    ages_in_days: list[int], daily: int, weekly: int, expected: list[int]
) -> None:
    monday = datetime(2026, 11, 30, 3, 17, tzinfo=UTC)
    moments = [monday - timedelta(days=age) for age in ages_in_days]
    assert kept(moments, daily, weekly) == {monday - timedelta(days=a) for a in expected}


def test_kept_takes_the_newest_backup_of_a_day() -> None:
    day = datetime(2026, 11, 30, tzinfo=UTC)
    moments = [day + timedelta(hours=h) for h in (1, 5, 23)]
    assert kept(moments, 1, 1) == {day + timedelta(hours=23)}
