"""Backups of PostgreSQL in S3-compatible object storage: upload, keep a bounded history, fetch.

    python3 -m guestbook.backup upload /backup/guestbook.dump   # the backup CronJob's last step
    python3 -m guestbook.backup fetch /backup/guestbook.dump    # the restore's first step
    python3 -m guestbook.backup list

The dump itself is made by `pg_dump --format=custom` in the PostgreSQL image (the CronJob's first
container), whose version matches the server's; this module only moves files, so it needs no
PostgreSQL client and no Django settings. Each dump becomes one object,
`BACKUP_PREFIX + "guestbook-YYYYMMDDTHHMMSSZ.dump"`, with its SHA-256 in the object's metadata:
an upload is checked against it before anything is pruned, a fetch before the file is handed to
pg_restore. An S3 object appears whole or not at all, so an interrupted upload leaves no backup
that looks complete.

History: after each upload, the newest backup of each of the last BACKUP_KEEP_DAILY days that have
one, and of each of the last BACKUP_KEEP_WEEKLY ISO weeks, are kept; older ones are deleted.
Objects under the prefix that this module did not name are never touched.

Settings come from the environment (the ConfigMap guestbook-backup and the Secret of the same name
in the cluster): BACKUP_BUCKET, BACKUP_PREFIX, BACKUP_ENDPOINT, BACKUP_REGION, BACKUP_KEEP_DAILY,
BACKUP_KEEP_WEEKLY, and boto3's own AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Exit status: 0 done,
1 the storage or the file failed a check (the Job fails and says why in one line), 2 a setting is
missing or wrong.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NAME = re.compile(r"guestbook-(\d{8}T\d{6}Z)\.dump")
STAMP = "%Y%m%dT%H%M%SZ"
DUMP_MAGIC = b"PGDMP"  # the first bytes of every pg_dump custom-format archive
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or fetch that failed; exit status 1."""


class SettingError(BackupError):
    """A setting that is missing or wrong; exit status 2."""


@dataclass(frozen=True)
class Settings:
    bucket: str
    prefix: str
    endpoint: str | None
    region: str
    keep_daily: int
    keep_weekly: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        bucket = env.get("BACKUP_BUCKET", "").strip()
        if not bucket:
            raise SettingError("BACKUP_BUCKET is not set: the bucket backups are written to")
        prefix = env.get("BACKUP_PREFIX", "").strip().lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return cls(
            bucket=bucket,
            prefix=prefix,
            endpoint=env.get("BACKUP_ENDPOINT", "").strip() or None,
            region=env.get("BACKUP_REGION", "").strip() or "us-east-1",
            keep_daily=_count(env, "BACKUP_KEEP_DAILY", 7),
            keep_weekly=_count(env, "BACKUP_KEEP_WEEKLY", 4),
        )


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingError(f"{name}={raw!r} must be a whole number of at least 1")
    return int(raw)


def key_for(settings: Settings, taken: datetime) -> str:
    """The object key of a backup taken at `taken`."""
    return f"{settings.prefix}guestbook-{taken.astimezone(UTC).strftime(STAMP)}.dump"


def taken_at(key: str, prefix: str) -> datetime | None:
    """When the backup under `key` was taken, or None when this module did not name it."""
    match = NAME.fullmatch(key[len(prefix) :]) if key.startswith(prefix) else None
    if match is None:
        return None
    return datetime.strptime(match[1], STAMP).replace(tzinfo=UTC)


def kept(taken: Iterable[datetime], daily: int, weekly: int) -> set[datetime]:
    """Which backups to keep: the newest of each of the last `daily` days that have one, and the
    newest of each of the last `weekly` ISO weeks that have one."""
    newest_first = sorted(set(taken), reverse=True)
    keep: set[datetime] = set()
    for period, count in ((_day, daily), (_week, weekly)):
        seen: list[tuple[int, ...]] = []
        for moment in newest_first:
            which = period(moment)
            if which not in seen:
                seen.append(which)
                if len(seen) > count:
                    break
                keep.add(moment)
    return keep


def _day(moment: datetime) -> tuple[int, ...]:
    return (moment.year, moment.month, moment.day)


def _week(moment: datetime) -> tuple[int, ...]:
    year, week, _ = moment.isocalendar()
    return (year, week)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_dump(path: Path) -> int:
    """The size of the pg_dump archive at `path`; a BackupError when it is not one."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(DUMP_MAGIC))
        size = path.stat().st_size
    except OSError as exc:
        raise BackupError(f"{path}: cannot read the dump: {exc.strerror}") from None
    if head != DUMP_MAGIC:
        raise BackupError(f"{path}: not a pg_dump custom-format archive ({size} bytes)")
    return size


class Store:
    """The bucket, through boto3 (any S3-compatible endpoint)."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=settings.endpoint,
                region_name=settings.region,
                config=Config(retries={"max_attempts": 5, "mode": "standard"}),
            )
        self.client = client

    def backups(self) -> dict[str, datetime]:
        """Every backup under the prefix, by key."""
        found = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.settings.bucket, Prefix=self.settings.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                moment = taken_at(item["Key"], self.settings.prefix)
                if moment is not None:
                    found[item["Key"]] = moment
        return found

    def put(self, path: Path, key: str, sha256: str) -> None:
        self.client.upload_file(
            str(path), self.settings.bucket, key, ExtraArgs={"Metadata": {"sha256": sha256}}
        )

    def described(self, key: str) -> tuple[int, str]:
        """The size and recorded SHA-256 of the object under `key`."""
        head = self.client.head_object(Bucket=self.settings.bucket, Key=key)
        return int(head["ContentLength"]), head.get("Metadata", {}).get("sha256", "")

    def get(self, key: str, path: Path) -> None:
        self.client.download_file(self.settings.bucket, key, str(path))

    def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            answer = self.client.delete_objects(
                Bucket=self.settings.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise BackupError(f"deleting {first['Key']} failed: {first.get('Message', '')}")


def upload(store: Store, path: Path, now: datetime) -> str:
    """Upload the dump at `path` as the backup taken `now`, check it, then prune the history."""
    size = check_dump(path)
    digest = sha256_of(path)
    key = key_for(store.settings, now)
    store.put(path, key, digest)
    stored_size, stored_digest = store.described(key)
    if (stored_size, stored_digest) != (size, digest):
        raise BackupError(
            f"s3://{store.settings.bucket}/{key}: stored {stored_size} bytes, sha256 "
            f"{stored_digest or 'missing'}; uploaded {size} bytes, sha256 {digest}"
        )
    print(f"backup: uploaded s3://{store.settings.bucket}/{key} ({size} bytes, sha256 {digest})")
    backups = store.backups()
    keep = kept(backups.values(), store.settings.keep_daily, store.settings.keep_weekly)
    doomed = sorted(k for k, moment in backups.items() if moment not in keep and k != key)
    store.delete(doomed)
    print(f"backup: {len(backups) - len(doomed)} kept, {len(doomed)} deleted")
    return key


def fetch(store: Store, path: Path, key: str | None) -> str:
    """Download the backup under `key` (the newest when None) to `path`, checked against its
    recorded SHA-256; `path` appears only once it is complete and checked."""
    if key is None:
        backups = store.backups()
        if not backups:
            raise BackupError(
                f"no backup under s3://{store.settings.bucket}/{store.settings.prefix}"
            )
        key = max(backups, key=backups.__getitem__)
    _, recorded = store.described(key)
    partial = path.with_name(path.name + ".partial")
    store.get(key, partial)
    digest = sha256_of(partial)
    if recorded and digest != recorded:
        partial.unlink()
        raise BackupError(
            f"s3://{store.settings.bucket}/{key}: sha256 {digest}, recorded {recorded}"
        )
    check_dump(partial)
    partial.replace(path)
    print(f"backup: fetched s3://{store.settings.bucket}/{key} to {path} (sha256 {digest})")
    return key


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python3 -m guestbook.backup", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upload", help="upload a pg_dump archive, then prune the history")
    up.add_argument("dump", type=Path)
    down = actions.add_parser("fetch", help="download a backup (the newest by default)")
    down.add_argument("dump", type=Path)
    down.add_argument(
        "--key",
        default=env.get("BACKUP_KEY") or None,
        help="the object key to fetch (default: $BACKUP_KEY, else the newest)",
    )
    actions.add_parser("list", help="the backups under the prefix, oldest first")
    args = parser.parse_args(argv)
    try:
        store = Store(Settings.from_env(env))
        if args.action == "upload":
            upload(store, args.dump, datetime.now(UTC))
        elif args.action == "fetch":
            fetch(store, args.dump, args.key)
        else:
            for key, moment in sorted(store.backups().items(), key=lambda item: item[1]):
                print(f"{moment.isoformat()}  s3://{store.settings.bucket}/{key}")
    except SettingError as exc:
        print(f"backup: configuration error: {exc}", file=sys.stderr)
        return 2
    except BackupError as exc:
        print(f"backup: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # boto3's and the network's errors, in one line
        print(f"backup: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
