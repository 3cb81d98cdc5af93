"""The hybrid scheme against data the real tools produced, and byte for byte against upstream's
layout (pkg/crypto/crypto.go) with a fixed session key: the RSA-OAEP part is opened both with
`cryptography` and with the RFC 8017 decoding written out below, so the OAEP hash and label are
checked independently of the code under test."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gitops.secrets.crypto import DecryptionError, hybrid_decrypt, hybrid_encrypt

UPSTREAM_LABEL = b"my-namespace/my-secret"  # strict scope: namespace "/" name
SESSION_KEY = bytes(range(32))


def oaep_decode(private_key: rsa.RSAPrivateKey, ciphertext: bytes) -> tuple[bytes, bytes]:
    """(label hash, message) of an RSA-OAEP ciphertext with SHA-256 and MGF1-SHA-256 (RFC 8017,
    7.1.2), from raw RSA: no OAEP code of the library is involved."""
    numbers = private_key.private_numbers()
    modulus = numbers.public_numbers.n
    size = (modulus.bit_length() + 7) // 8
    encoded = pow(int.from_bytes(ciphertext, "big"), numbers.d, modulus).to_bytes(size, "big")
    assert encoded[0] == 0
    masked_seed, masked_db = encoded[1:33], encoded[33:]
    seed = _xor(masked_seed, _mgf1(masked_db, 32))
    db = _xor(masked_db, _mgf1(seed, size - 33))
    label_hash, rest = db[:32], db[32:].lstrip(b"\x00")
    assert rest[0] == 1
    return label_hash, rest[1:]


def _mgf1(seed: bytes, length: int) -> bytes:
    out = b"".join(
        hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(length // 32 + 1)
    )
    return out[:length]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _oaep(label: bytes) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)


def test_decrypts_every_value_kubeseal_sealed_with_the_controller_key(
    upstream_private_key: rsa.RSAPrivateKey, upstream_values
) -> None:
    for value in upstream_values:
        ciphertext = base64.b64decode(value.sealed, validate=True)
        assert hybrid_decrypt(upstream_private_key, ciphertext, UPSTREAM_LABEL) == value.plaintext


def test_upstream_values_have_the_layout_and_label_of_crypto_go(
    upstream_private_key: rsa.RSAPrivateKey, upstream_values
) -> None:
    """2-byte big-endian length (512: a 4096-bit key), RSA-OAEP with label sha256("ns/name"),
    AES-GCM ciphertext plus 16-byte tag under the zero nonce."""
    for value in upstream_values:
        ciphertext = base64.b64decode(value.sealed)
        assert int.from_bytes(ciphertext[:2], "big") == 512
        assert len(ciphertext) == 2 + 512 + len(value.plaintext) + 16
        label_hash, session_key = oaep_decode(upstream_private_key, ciphertext[2:514])
        assert label_hash == hashlib.sha256(UPSTREAM_LABEL).digest()
        assert len(session_key) == 32
        assert AESGCM(session_key).decrypt(bytes(12), ciphertext[514:], None) == value.plaintext


def test_our_ciphertext_for_the_controller_key_is_upstreams_layout_byte_for_byte(
    upstream_private_key: rsa.RSAPrivateKey, upstream_values
) -> None:
    plaintext = b"my-password-for-prd-db"
    ours = hybrid_encrypt(
        upstream_private_key.public_key(), plaintext, UPSTREAM_LABEL, session_key=SESSION_KEY
    )
    theirs = next(base64.b64decode(v.sealed) for v in upstream_values if v.plaintext == plaintext)
    assert len(ours) == len(theirs) and ours[:2] == theirs[:2] == (512).to_bytes(2, "big")
    rsa_part, aes_part = ours[2:514], ours[514:]
    assert oaep_decode(upstream_private_key, rsa_part) == (
        hashlib.sha256(UPSTREAM_LABEL).digest(),
        SESSION_KEY,
    )
    assert upstream_private_key.decrypt(rsa_part, _oaep(UPSTREAM_LABEL)) == SESSION_KEY
    assert aes_part == AESGCM(SESSION_KEY).encrypt(bytes(12), plaintext, None)
    assert hybrid_decrypt(upstream_private_key, ours, UPSTREAM_LABEL) == plaintext


@pytest.mark.parametrize("label", [b"guestbook/web-secrets", b"guestbook", b""])
def test_the_label_is_the_oaep_label_exactly(rsa_key: rsa.RSAPrivateKey, label: bytes) -> None:
    ciphertext = hybrid_encrypt(rsa_key.public_key(), b"v", label, session_key=SESSION_KEY)
    length = int.from_bytes(ciphertext[:2], "big")
    assert length == 256
    assert oaep_decode(rsa_key, ciphertext[2 : 2 + length]) == (
        hashlib.sha256(label).digest(),
        SESSION_KEY,
    )
    assert ciphertext[2 + length :] == AESGCM(SESSION_KEY).encrypt(bytes(12), b"v", None)


def test_every_encryption_has_a_fresh_session_key(rsa_key: rsa.RSAPrivateKey) -> None:
    first, second = (hybrid_encrypt(rsa_key.public_key(), b"same", b"l") for _ in range(2))
    assert oaep_decode(rsa_key, first[2:258])[1] != oaep_decode(rsa_key, second[2:258])[1]
    assert first[258:] != second[258:]


def test_a_session_key_of_another_size_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        hybrid_encrypt(rsa_key.public_key(), b"v", b"", session_key=bytes(16))


@pytest.mark.parametrize("label", [b"my-namespace", b"", b"my-namespace/other"])
def test_another_label_does_not_open_an_upstream_value(
    upstream_private_key: rsa.RSAPrivateKey, upstream_values, label: bytes
) -> None:
    ciphertext = base64.b64decode(upstream_values[0].sealed)
    with pytest.raises(DecryptionError, match="another scope"):
        hybrid_decrypt(upstream_private_key, ciphertext, label)


def test_decryption_errors_say_nothing_of_the_content(rsa_key: rsa.RSAPrivateKey) -> None:
    plaintext = b"hunter2-very-secret"
    sealed = hybrid_encrypt(rsa_key.public_key(), plaintext, b"ns/name")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for key, ciphertext in [
        (other, sealed),
        (rsa_key, tampered),
        (rsa_key, sealed[:100]),
        (rsa_key, b"\x01"),
        (rsa_key, b""),
    ]:
        with pytest.raises(DecryptionError) as caught:
            hybrid_decrypt(key, ciphertext, b"ns/name")
        assert plaintext.decode() not in str(caught.value)
        error = caught.value  # no chained library error that could carry more detail
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
