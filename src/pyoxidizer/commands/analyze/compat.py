"""Which Linux distributions can run an ELF file, judged by the C library it needs.

A glibc binary runs where the installed glibc is at least as new as the newest ``GLIBC_*``
symbol version it references; the table below says which glibc each release ships.
Only the C library is judged: other ``DT_NEEDED`` libraries must be installed too, and a
``GLIBCXX_*`` requirement (libstdc++) is reported but not checked against releases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxidizer._elf import ElfInfo, VersionNeed, is_glibc_library


@dataclass(frozen=True)
class DistroRelease:
    distro: str
    release: str
    libc: str  # "glibc" | "musl"
    version: str  # the libc version the release ships


# Sources: the libc6 package of each release on packages.debian.org (jessie, stretch,
# buster, bullseye, bookworm, trixie) and packages.ubuntu.com (xenial, bionic, focal, jammy,
# noble); the release notes of Red Hat Enterprise Linux 7, 8 and 9 (CentOS 7, AlmaLinux and
# Rocky Linux rebuild the same glibc);
# the Fedora change pages "GLIBC 2.39/2.40/2.41" for Fedora 40/41/42; the Amazon Linux 2 and
# 2023 package lists (glibc 2.26 and 2.34); Alpine Linux uses musl libc ("Running glibc
# programs" on the Alpine wiki). Debian 12 was also checked on this project's machines:
# os.confstr("CS_GNU_LIBC_VERSION") == "glibc 2.36".
DISTRO_RELEASES: tuple[DistroRelease, ...] = (
    DistroRelease("Debian", "8 (jessie)", "glibc", "2.19"),
    DistroRelease("Debian", "9 (stretch)", "glibc", "2.24"),
    DistroRelease("Debian", "10 (buster)", "glibc", "2.28"),
    DistroRelease("Debian", "11 (bullseye)", "glibc", "2.31"),
    DistroRelease("Debian", "12 (bookworm)", "glibc", "2.36"),
    DistroRelease("Debian", "13 (trixie)", "glibc", "2.41"),
    DistroRelease("Ubuntu", "16.04 LTS", "glibc", "2.23"),
    DistroRelease("Ubuntu", "18.04 LTS", "glibc", "2.27"),
    DistroRelease("Ubuntu", "20.04 LTS", "glibc", "2.31"),
    DistroRelease("Ubuntu", "22.04 LTS", "glibc", "2.35"),
    DistroRelease("Ubuntu", "24.04 LTS", "glibc", "2.39"),
    DistroRelease("RHEL / CentOS", "7", "glibc", "2.17"),
    DistroRelease("RHEL / AlmaLinux / Rocky", "8", "glibc", "2.28"),
    DistroRelease("RHEL / AlmaLinux / Rocky", "9", "glibc", "2.34"),
    DistroRelease("Fedora", "40", "glibc", "2.39"),
    DistroRelease("Fedora", "41", "glibc", "2.40"),
    DistroRelease("Fedora", "42", "glibc", "2.41"),
    DistroRelease("Amazon Linux", "2", "glibc", "2.26"),
    DistroRelease("Amazon Linux", "2023", "glibc", "2.34"),
    DistroRelease("Alpine", "3.x", "musl", "1.2"),
)


# Not glibc, but installed wherever glibc is: Debian marks libgcc-s1 "Priority: required",
# and Fedora/RHEL's glibc package requires libgcc.
ALWAYS_PRESENT = {"libgcc_s.so.1": "GCC runtime, present wherever glibc is"}


def library_note(soname: str) -> str | None:
    """Why ``soname`` needs no separate install, or None if it must be installed."""
    if is_glibc_library(soname):
        return "part of glibc"
    return ALWAYS_PRESENT.get(soname)


@dataclass(frozen=True)
class Verdict:
    distro: str
    release: str
    libc: str
    runs: bool
    reason: str


_VERSION = re.compile(r"^([A-Z+]+)_(\d+(?:\.\d+)*)$")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def newest_version(needs: Iterable[VersionNeed], prefix: str) -> str | None:
    """The newest ``<prefix>_x.y`` version among ``needs`` ("GLIBC" -> "2.34"), or None.

    Names that are not a prefix and a dotted number (``GLIBC_PRIVATE``) are ignored.
    """
    versions = [
        m.group(2) for n in needs if (m := _VERSION.match(n.version)) and m.group(1) == prefix
    ]
    return max(versions, key=version_key) if versions else None


def libc_of(info: ElfInfo) -> str:
    """'static', 'musl' or 'glibc': which C library the file needs at run time."""
    if info.statically_linked:
        return "static"
    if (info.interpreter and "ld-musl" in info.interpreter) or any(
        n.startswith("libc.musl") for n in info.needed
    ):
        return "musl"
    return "glibc"


def verdicts(info: ElfInfo, releases: Iterable[DistroRelease] = DISTRO_RELEASES) -> list[Verdict]:
    libc = libc_of(info)
    glibc = newest_version(info.version_needs, "GLIBC")
    return [_verdict(r, libc, glibc) for r in releases]


def _verdict(release: DistroRelease, libc: str, glibc: str | None) -> Verdict:
    def verdict(runs: bool, reason: str) -> Verdict:
        return Verdict(release.distro, release.release, release.libc, runs, reason)

    if libc == "static":
        return verdict(True, "needs no C library")
    if libc != release.libc:
        return verdict(False, f"ships {release.libc} {release.version}; the file needs {libc}")
    if libc == "musl":
        return verdict(True, f"ships musl {release.version}")
    if glibc is None or version_key(release.version) >= version_key(glibc):
        return verdict(True, f"ships glibc {release.version}")
    return verdict(False, f"ships glibc {release.version}; the file needs glibc {glibc}")
