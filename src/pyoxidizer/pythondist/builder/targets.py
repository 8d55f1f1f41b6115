"""The targets the builder knows: a Rust-style triple mapped to a zig target and CRT facts."""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import StandaloneBuildError

GLIBC_FLOOR = "2.17"


@dataclass(frozen=True)
class Target:
    """One build target and what distinguishes it."""

    triple: str
    zig_target: str
    musl: bool
    # The platform triplet CPython derives for its config-X.Y-<triplet> directory and EXT_SUFFIX.
    multiarch: str

    @property
    def crt_features(self) -> tuple[str, ...]:
        if self.musl:
            return ("static",)
        return ("glibc-dynamic", f"glibc-max-symbol-version:{GLIBC_FLOOR}")

    @property
    def extension_module_loading(self) -> tuple[str, ...]:
        # A fully static musl executable has no dynamic loader, so it cannot dlopen anything.
        return ("builtin",) if self.musl else ("builtin", "shared-library")


TARGETS: dict[str, Target] = {
    "x86_64-unknown-linux-gnu": Target(
        triple="x86_64-unknown-linux-gnu",
        zig_target=f"x86_64-linux-gnu.{GLIBC_FLOOR}",
        musl=False,
        multiarch="x86_64-linux-gnu",
    ),
    "x86_64-unknown-linux-musl": Target(
        triple="x86_64-unknown-linux-musl",
        zig_target="x86_64-linux-musl",
        musl=True,
        multiarch="x86_64-linux-musl",
    ),
}


def target_for(triple: str) -> Target:
    """The Target for ``triple``, or an error that lists the supported ones."""
    try:
        return TARGETS[triple]
    except KeyError:
        known = ", ".join(sorted(TARGETS))
        raise StandaloneBuildError(
            f"The target {triple!r} is not supported by python-distribution-build; "
            f"use one of: {known}."
        ) from None
