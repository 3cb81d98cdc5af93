"""The local Redis's wire format and configuration file, without a server (`localservers.redis`;
tests/integration/servers/test_redis.py starts real ones)."""

from __future__ import annotations

from gitops.localservers.redis import config_text, resp_command


def test_commands_are_resp_arrays_of_bulk_strings() -> None:
    assert resp_command(["PING"]) == b"*1\r\n$4\r\nPING\r\n"
    # lengths are in bytes, and spaces or line breaks inside an argument are data
    assert resp_command(["SET", "k", "é x\r\n"]) == (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\n\xc3\xa9 x\r\n\r\n"
    )


def test_the_configuration_file_has_only_what_is_asked_for() -> None:
    assert config_text(password=None, primary_password=None) == ""
    assert config_text(password="pw", primary_password=None) == 'requirepass "pw"\n'
    assert config_text(password=None, primary_password="pw") == 'masterauth "pw"\n'
    both = config_text(password="a", primary_password="b")
    assert both == 'requirepass "a"\nmasterauth "b"\n'


def test_passwords_are_quoted_as_redis_conf_reads_them() -> None:
    text = config_text(password='a "b" c\\d\ne\tf', primary_password=None)
    assert text == 'requirepass "a \\"b\\" c\\\\d\\ne\\tf"\n'
    assert text.count("\n") == 1  # a line break in a password cannot start a directive
