"""OpenSSL 3: only libcrypto and libssl, static, with their headers.

``build_libs`` skips the openssl program, the tests and the manuals (most of the build time).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..context import BuildContext
from .base import Library

_CONFIGURE = (
    "linux-x86_64",
    "no-shared",
    # Providers and engines compiled in, never loaded from a .so at run time.
    "no-module",
    "no-legacy",
    "no-tests",
    # Where CA certificates live on Debian, Ubuntu, Alpine and (through a link) RHEL.
    "--openssldir=/etc/ssl",
    "-fPIC",
)


def _build_openssl(ctx: BuildContext, src: Path) -> None:
    argv = ["perl", "./Configure", f"--prefix={ctx.prefix}", "--libdir=lib", *_CONFIGURE]
    ctx.run("openssl", argv, src)
    ctx.make("openssl", src, "build_libs")
    lib = ctx.prefix / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    for name in ("libcrypto.a", "libssl.a"):
        shutil.copyfile(src / name, lib / name)
    headers = ctx.prefix / "include" / "openssl"
    shutil.rmtree(headers, ignore_errors=True)
    shutil.copytree(src / "include" / "openssl", headers)


OPENSSL = Library(
    "openssl", "openssl", ("ssl", "crypto"), ("Apache-2.0",), ("LICENSE.txt",), _build_openssl
)
