"""``type = "deb"`` (this project's addition): a Debian package of the app.

The app directory goes to ``/opt/<app>/`` with a symlink ``/usr/bin/<app>``; the launcher
finds its payload and app-relative files through ``/proc/self/exe``, so running it through
the symlink works. ``dpkg-deb --root-owner-group`` builds the package, so files belong to
root without fakeroot. ``Depends`` comes from the executable's own glibc floor; the
packages that provide libraries embedded extension modules load are ``Recommends``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyoxidizer._fs import publish
from pyoxidizer._proc import Runner, TimedOut, run
from pyoxidizer.commands.installers.tree import app_tree, installed_size
from pyoxidizer.config.rules import DebDistribution
from pyoxidizer.errors import AppDistributionError

ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "i686": "i386", "i386": "i386"}
DEFAULT_VERSION = "0.1.0"
DEFAULT_MAINTAINER = "unknown <unknown@localhost>"
_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_VERSION = re.compile(r"^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$")


@dataclass(frozen=True)
class DebMetadata:
    package: str
    version: str
    architecture: str
    maintainer: str
    description: str
    installed_size_kib: int = 0
    depends: tuple[str, ...] = ()
    recommends: tuple[str, ...] = ()


def deb_metadata(
    options: DebDistribution,
    app_name: str,
    target: str,
    depends: tuple[str, ...] = (),
    recommends: tuple[str, ...] = (),
) -> DebMetadata:
    """The package's fields from a ``[[distribution]]`` section, defaults filled in."""
    package = options.package_name or app_name.lower().replace("_", "-")
    version = options.version or DEFAULT_VERSION
    description = options.description or f"{app_name} (packaged with pyoxidizer)"
    problems = []
    if not _PACKAGE_NAME.match(package):
        problems.append(
            f"package_name {package!r} is not a valid Debian package name (lower-case letters, "
            "digits and + - ., at least two characters, starting with a letter or digit)"
        )
    if not _VERSION.match(version):
        problems.append(
            f"version {version!r} is not a valid Debian version (it starts with a digit)"
        )
    arch = ARCHITECTURES.get(target.split("-", 1)[0])
    if arch is None:
        problems.append(f"target {target!r} has no Debian architecture known to pyoxidizer")
    if problems:
        raise AppDistributionError("[[distribution]] deb: " + "; ".join(problems))
    maintainer = options.maintainer or DEFAULT_MAINTAINER
    return DebMetadata(package, version, str(arch), maintainer, description, 0, depends, recommends)


def control_text(meta: DebMetadata) -> str:
    synopsis, *rest = meta.description.strip().splitlines() or [""]
    fields = [
        ("Package", meta.package),
        ("Version", meta.version),
        ("Architecture", meta.architecture),
        ("Maintainer", meta.maintainer),
        ("Installed-Size", str(meta.installed_size_kib)),
        ("Depends", ", ".join(meta.depends)),
        ("Recommends", ", ".join(meta.recommends)),
        ("Section", "misc"),
        ("Priority", "optional"),
        ("Description", synopsis.strip()),
    ]
    lines = [f"{key}: {value}" for key, value in fields if value]
    lines += [f" {line.strip()}" if line.strip() else " ." for line in rest]
    return "\n".join(lines) + "\n"


def deb_name(meta: DebMetadata) -> str:
    version = meta.version.split(":", 1)[-1]  # the epoch is not part of the file name
    return f"{meta.package}_{version}_{meta.architecture}.deb"


def build_deb(
    app_dir: Path,
    app_name: str,
    meta: DebMetadata,
    out_dir: Path,
    mtime: int,
    runner: Runner = run,
) -> Path:
    """Build the package into ``out_dir``; the file appears only once dpkg-deb succeeded."""
    tool = shutil.which("dpkg-deb")
    if tool is None:
        raise AppDistributionError(
            "cannot build a Debian package: dpkg-deb is not installed (package 'dpkg')"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out_dir, prefix=".deb-staging-"))
    try:
        root = _stage_tree(app_dir, app_name, meta, stage / "root", mtime)
        built = stage / "package.deb"
        argv = [tool, "--root-owner-group", "-Zgzip", "-z6", "--build", str(root), str(built)]
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(mtime)}
        try:
            proc = runner(argv, env=env, timeout=600)
        except (OSError, TimedOut) as exc:
            raise AppDistributionError(
                f"dpkg-deb failed to build {deb_name(meta)}: {exc}"
            ) from None
        if not proc.ok:
            detail = proc.tail(1) or "no output"
            raise AppDistributionError(f"dpkg-deb failed to build {deb_name(meta)}: {detail}")
        final = out_dir / deb_name(meta)
        publish(built, final)
        return final
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _stage_tree(app_dir: Path, app_name: str, meta: DebMetadata, root: Path, mtime: int) -> Path:
    opt = root / "opt" / app_name
    shutil.copytree(app_dir, opt, symlinks=True)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / app_name).symlink_to(f"/opt/{app_name}/{app_name}")
    size_kib = -(-installed_size(app_tree(app_dir)) // 1024)
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(control_text(dataclasses.replace(meta, installed_size_kib=size_kib)))
    _normalise(root, mtime)
    return root


def _normalise(root: Path, mtime: int) -> None:
    """dpkg-deb wants 0755 directories; every mtime is the one timestamp."""
    for entry in [*app_tree(root), None]:
        path = root if entry is None else root / entry.rel
        if entry is None or entry.kind != "symlink":
            path.chmod(0o755 if entry is None or entry.mode == 0o755 else 0o644)
        os.utime(path, (mtime, mtime), follow_symlinks=False)
