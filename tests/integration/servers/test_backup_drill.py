"""`gitops backup-drill`: the rendered backup and restore CronJobs, run against real PostgreSQL
and moto's S3 server. It says "identical" only when every row came back, and it fails, naming
the table, when the backup leaves data out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.servers


def _drill(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitops", "backup-drill", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def drill_repo(tmp_path: Path, copy_repo, repo_root: Path) -> Path:
    copy_repo(tmp_path)
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "guestbook").symlink_to(repo_root / "services" / "guestbook")
    return tmp_path


def test_the_drill_restores_every_message(repo_root: Path) -> None:
    result = _drill(repo_root, "dev", "--messages", "50")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "backup drill: 50 messages backed up, 50 restored, identical"
    assert "    backup: 1 kept, 0 deleted" in lines  # the upload container ran, and pruned
    assert "the web role reads 50 restored messages and adds one" in lines


def test_a_backup_that_leaves_the_messages_out_fails_the_drill(drill_repo: Path) -> None:
    cronjob = drill_repo / "clusters/dev/data/cronjob-guestbook-postgres-backup.yaml"
    text = cronjob.read_text()
    assert "pg_dump --format=custom" in text
    cronjob.write_text(
        text.replace(
            "pg_dump --format=custom", "pg_dump --format=custom --exclude-table-data=board_message"
        )
    )
    result = _drill(drill_repo, "dev", "--messages", "5")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert result.stderr.startswith("error: table board_message: ")
    assert "identical" not in result.stdout


def test_a_restore_that_fails_stops_the_drill_and_says_which_container(drill_repo: Path) -> None:
    cronjob = drill_repo / "clusters/dev/data/cronjob-guestbook-postgres-restore.yaml"
    text = cronjob.read_text().replace("guestbook_owner", "guestbook_web")
    cronjob.write_text(text.replace("owner-password", "web-password"))  # the web role restores
    result = _drill(drill_repo, "dev", "--messages", "5")
    assert result.returncode == 1
    assert result.stderr.startswith("error: container restore failed (exit 1)")
    assert "ERROR:  must be owner of" in result.stderr


def test_an_environment_without_backup_facts_is_a_configuration_error(drill_repo: Path) -> None:
    facts = drill_repo / "apps/environments/dev/environment.yaml"
    text = facts.read_text()
    start = text.index("    # Where the nightly PostgreSQL backups go")
    facts.write_text(text[:start])
    result = _drill(drill_repo, "dev")
    assert result.returncode == 2
    assert "apps.guestbook.backup is not in the facts" in result.stderr
