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


# libcrypto embeds its configured directories and the compiler command line (`openssl version
# -a`): a fixed prefix and tool names found on PATH (the wrappers come first) keep the work
# directory out of the library. Nothing is installed there; the files are copied below.
_EMBEDDED_PREFIX = "/usr/local"
_TOOLS_BY_NAME = {"CC": "cc", "AR": "ar", "RANLIB": "ranlib"}


def _build_openssl(ctx: BuildContext, src: Path) -> None:
    argv = ["perl", "./Configure", f"--prefix={_EMBEDDED_PREFIX}", "--libdir=lib", *_CONFIGURE]
    ctx.run("openssl", argv, src, _TOOLS_BY_NAME)
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
