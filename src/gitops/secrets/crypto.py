"""The hybrid RSA-OAEP + AES-256-GCM scheme of the Sealed Secrets controller, as upstream's
`pkg/crypto/crypto.go` has it (bitnami-labs/sealed-secrets at commit
86671a8851be1e6c2dfef4e12e2d7c19ed24ac94):

- a fresh 32-byte session key (`sessionKeyBytes`, crypto.go:17, read at crypto.go:38-41);
- the session key encrypted with RSA-OAEP, SHA-256 as hash and MGF1 hash, the scope's label as
  OAEP label (crypto.go:54; the label is built in `gitops.secrets.sealing`);
- output: the RSA ciphertext's length as 2 bytes big-endian, the RSA ciphertext, then the value
  encrypted with AES-256-GCM under the session key, an all-zero 12-byte nonce and no associated
  data, its 16-byte tag appended (crypto.go:59-70); decryption reverses it (crypto.go:88-124).

The session key is used once, which is why the zero nonce is safe (crypto.go:66). Never pass the
same `session_key` twice: it exists so that tests can check the exact bytes.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SESSION_KEY_BYTES = 32
NONCE = bytes(12)
LENGTH_BYTES = 2


class DecryptionError(ValueError):
    """The ciphertext does not open with this key and label (never says anything about content)."""


def hybrid_encrypt(
    public_key: RSAPublicKey,
    plaintext: bytes,
    label: bytes,
    *,
    session_key: bytes | None = None,
) -> bytes:
    """`plaintext` sealed for `public_key` and `label`, in the controller's byte layout."""
    key = secrets.token_bytes(SESSION_KEY_BYTES) if session_key is None else session_key
    if len(key) != SESSION_KEY_BYTES:
        raise ValueError(f"the session key must be {SESSION_KEY_BYTES} bytes, not {len(key)}")
    rsa_ciphertext = public_key.encrypt(key, _oaep(label))
    if len(rsa_ciphertext) >= 1 << (8 * LENGTH_BYTES):
        raise ValueError("the RSA key is too large for the 2-byte length prefix")
    prefix = len(rsa_ciphertext).to_bytes(LENGTH_BYTES, "big")
    return prefix + rsa_ciphertext + AESGCM(key).encrypt(NONCE, plaintext, None)


def hybrid_decrypt(private_key: RSAPrivateKey, ciphertext: bytes, label: bytes) -> bytes:
    """The plaintext of `ciphertext`; DecryptionError for a wrong key, label or a damaged value."""
    rsa_length = int.from_bytes(ciphertext[:LENGTH_BYTES], "big")
    if len(ciphertext) < LENGTH_BYTES or len(ciphertext) < LENGTH_BYTES + rsa_length:
        raise DecryptionError("the sealed value is too short")
    rsa_end = LENGTH_BYTES + rsa_length
    try:
        key = private_key.decrypt(ciphertext[LENGTH_BYTES:rsa_end], _oaep(label))
        return AESGCM(key).decrypt(NONCE, ciphertext[rsa_end:], None)
    except (ValueError, InvalidTag):
        raise DecryptionError(
            "the sealed value does not open: another key, or sealed for another scope, "
            "namespace or name"
        ) from None


def _oaep(label: bytes) -> padding.OAEP:
    """RSA-OAEP as Go's rsa.EncryptOAEP(sha256.New(), ...) does it: SHA-256 for both hashes."""
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)
