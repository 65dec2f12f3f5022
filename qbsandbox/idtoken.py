"""OpenID Connect pieces: an RS256 `id_token` for the `openid` scope and the JWKS that verifies it.

The signing key is made once per sandbox database and kept in it, so tokens stay verifiable across
restarts. PyJWT and cryptography come with the project's OAuth client library.
"""

from __future__ import annotations

from typing import Any

from qbsandbox.store import Store

KEY_ID = "qbsandbox-1"


def _private_pem(store: Store) -> str:
    pem = store.meta("oidc_private_key")
    if pem is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        store.set_meta("oidc_private_key", pem)
    return pem


def id_token(store: Store, *, issuer: str, client_id: str, realm_id: str, subject: str, now: float) -> str:
    import jwt

    claims = {
        "sub": subject,
        "aud": [client_id],
        "realmid": realm_id,
        "auth_time": int(now),
        "iss": issuer,
        "exp": int(now) + 3600,
        "iat": int(now),
    }
    return jwt.encode(claims, _private_pem(store), algorithm="RS256", headers={"kid": KEY_ID})


def jwks(store: Store) -> dict[str, Any]:
    import json

    from cryptography.hazmat.primitives import serialization
    from jwt.algorithms import RSAAlgorithm

    key = serialization.load_pem_private_key(_private_pem(store).encode("ascii"), password=None)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))  # type: ignore[arg-type]
    jwk.update({"kid": KEY_ID, "alg": "RS256", "use": "sig"})
    return {"keys": [jwk]}
