"""An identity provider for production-mode tests: generated RS256 and EdDSA keys, their JWKS
served over HTTP on 127.0.0.1 (PyJWT's `PyJWKClient` fetches only URLs), and tokens signed
with them.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

AUDIENCE = "casetrack-api"
ISSUER = "casetrack"


@dataclass
class IdentityProvider:
    url: str
    keys: dict[str, Any] = field(default_factory=dict)  # kid -> (algorithm, private key)

    def token(
        self,
        role: str,
        sub: str,
        *,
        kid: str = "rsa-1",
        aud: Any = AUDIENCE,
        ttl_s: int = 600,
        **claims: Any,
    ) -> str:
        algorithm, private_key = self.keys[kid]
        now = int(time.time())
        body = {"iss": ISSUER, "sub": sub, "role": role, "iat": now, "exp": now + ttl_s, **claims}
        if aud is not None:
            body["aud"] = aud
        return jwt.encode(body, private_key, algorithm=algorithm, headers={"kid": kid})


def _jwks(keys: dict[str, Any]) -> bytes:
    out = []
    for kid, (algorithm, private_key) in keys.items():
        encoder = RSAAlgorithm if algorithm == "RS256" else OKPAlgorithm
        jwk = encoder.to_jwk(private_key.public_key(), as_dict=True)
        out.append({**jwk, "kid": kid, "alg": algorithm, "use": "sig"})
    return json.dumps({"keys": out}).encode()


@contextlib.contextmanager
def identity_provider() -> Iterator[IdentityProvider]:
    """A JWKS at `http://127.0.0.1:<port>/.well-known/jwks.json` until the block ends."""
    keys = {
        "rsa-1": ("RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "ed-1": ("EdDSA", ed25519.Ed25519PrivateKey.generate()),
    }
    body = _jwks(keys)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="jwks")
    thread.start()
    try:
        port = server.server_address[1]
        yield IdentityProvider(f"http://127.0.0.1:{port}/.well-known/jwks.json", keys)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
