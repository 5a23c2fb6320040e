"""Building the real images from their Dockerfiles and running them, with buildah and no Docker.

The test machines have no Docker engine and reach no image registry, but as root Debian's
``buildah`` builds a Dockerfile (``buildah bud --isolation chroot``) and runs a built image's
command (``buildah run --isolation chroot``: the host's network, the image's ``USER``, ``ENV`` and
file system). What is missing is the pinned base images, so :func:`ensure_bases` makes local
stand-ins under their exact names:

* the Python base: a Debian root file system from ``debootstrap`` with Python 3.11 and the CA
  certificates, ``python``/``python3`` in ``/usr/local/bin`` as in the official image, and this
  machine's CA bundle (with ``SSL_CERT_FILE``), so that uv inside the build reaches the package
  index through whatever TLS setup this machine has;
* the uv image: a scratch image holding this machine's ``uv`` binary at ``/uv``.

A stand-in carries a label with a digest of its recipe, so later runs reuse it from buildah's
storage (a base that exists without the label is a real image and is used as it is). Builds use
``--layers``, so an unchanged Dockerfile step is taken from buildah's layer cache next time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporal_core.client.key_ring import new_key_entry

from tests.deploy.dockerfile import REPO, Dockerfile

STAND_IN_LABEL = "temporal-fastapi.stand-in"
DEBIAN_SUITE = "bookworm"
PYTHON_PACKAGES = ("python3.11-minimal", "libpython3.11-stdlib", "ca-certificates")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Bump when the way a stand-in is made changes, so cached ones are made again.
_RECIPE_VERSION = "1"
IMAGE_PREFIX = "temporal-fastapi"
TEST_TAG = "images-test"
CONTAINER_PREFIX = "images-test-"
# What debootstrap leaves that no image needs (the official slim images drop the same).
_TRIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "var/lib/apt/lists", "var/cache/apt")


def missing_requirements() -> str | None:
    """Why images cannot be built and run here, or None when they can."""
    if os.geteuid() != 0:
        return "building images with buildah (chroot isolation) and debootstrap needs root"
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (.ci/run installs them with apt-get)"
    if not HOST_CA_BUNDLE.is_file():
        return f"no CA bundle at {HOST_CA_BUNDLE} to give the stand-in base image"
    return None


def buildah(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``buildah args``; the caller checks the status."""
    return subprocess.run(
        ["buildah", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _buildah_ok(*args: str, timeout: float = 120) -> str:
    result = buildah(*args, timeout=timeout)
    assert result.returncode == 0, f"buildah {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout.strip()


def qualified(name: str) -> str:
    """``name`` as buildah stores it: a short Docker Hub name gets ``docker.io/library/``."""
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"


def pinned_bases(dockerfiles: Sequence[Path]) -> set[str]:
    """Every external image the Dockerfiles start a stage from (stage names excluded)."""
    bases: set[str] = set()
    for path in dockerfiles:
        image = Dockerfile.parse(path)
        names = {stage.name for stage in image.stages}
        bases |= {stage.base for stage in image.stages if stage.base not in names}
    return bases


def _labels(image: str) -> dict[str, str] | None:
    """The labels of ``image`` in buildah's storage, or None when it is not there."""
    result = buildah("inspect", "--type", "image", image)
    if result.returncode != 0:
        return None
    config = json.loads(result.stdout).get("OCIv1", {}).get("config", {})
    return dict(config.get("Labels") or {})


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def uv_binary() -> Path:
    """The real ``uv`` executable: ``uv run`` names itself in ``UV`` (``which`` may find a shim)."""
    named = os.environ.get("UV")
    if named and Path(named).is_file():
        return Path(named)
    found = shutil.which("uv")
    assert found, "uv is not on PATH"
    return Path(found).resolve()


@dataclass
class BaseReport:
    """What :func:`ensure_bases` did for each pinned base: ``real``, ``cached`` or ``made``."""

    outcomes: dict[str, str] = field(default_factory=dict[str, str])


def ensure_bases(bases: set[str], scratch: Path) -> BaseReport:
    """Make sure every base in ``bases`` is in buildah's storage, making stand-ins as needed."""
    report = BaseReport()
    for base in sorted(bases):
        name = qualified(base)
        if "astral-sh/uv" in name:
            uv = uv_binary()
            recipe = _digest(_RECIPE_VERSION.encode(), uv.read_bytes())
            make = functools.partial(_make_uv, name, recipe, uv)
            report.outcomes[base] = _ensure(name, recipe, make)
        elif "/library/python:" in name:
            recipe = _digest(
                _RECIPE_VERSION.encode(),
                DEBIAN_SUITE.encode(),
                " ".join(PYTHON_PACKAGES).encode(),
                HOST_CA_BUNDLE.read_bytes(),
            )
            make = functools.partial(_make_python, name, recipe, scratch)
            report.outcomes[base] = _ensure(name, recipe, make)
        else:
            raise AssertionError(f"no stand-in recipe for base image {base}")
    return report


def _ensure(name: str, recipe: str, make: Callable[[], None]) -> str:
    labels = _labels(name)
    if labels is not None and STAND_IN_LABEL not in labels:
        return "real"
    if labels is not None and labels[STAND_IN_LABEL] == recipe:
        return "cached"
    make()
    return "made"


def _commit_root(name: str, recipe: str, root: Path, config: Sequence[str]) -> None:
    """Commit the directory ``root`` as the image ``name``."""
    container = _buildah_ok("from", "scratch")
    try:
        mount = _buildah_ok("mount", container)
        subprocess.run(["cp", "-a", f"{root}/.", mount], check=True)
        _buildah_ok("umount", container)
        _buildah_ok("config", "--label", f"{STAND_IN_LABEL}={recipe}", *config, container)
        _buildah_ok("commit", "--quiet", container, name, timeout=300)
    finally:
        buildah("rm", container)


def _make_uv(name: str, recipe: str, uv: Path) -> None:
    with tempfile.TemporaryDirectory() as root:
        shutil.copy2(uv, Path(root) / "uv")
        _commit_root(name, recipe, Path(root), ["--entrypoint", '["/uv"]'])


def _make_python(name: str, recipe: str, scratch: Path) -> None:
    root = scratch / "python-rootfs"
    shutil.rmtree(root, ignore_errors=True)
    result = subprocess.run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PYTHON_PACKAGES)}",
            DEBIAN_SUITE,
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"debootstrap failed:\n{result.stdout[-3000:]}{result.stderr}"
    try:
        for path in _TRIM:
            shutil.rmtree(root / path, ignore_errors=True)
        # Where the official image has its interpreter, so uv and `python` find the same one.
        for link in ("python3", "python", "python3.11"):
            (root / "usr/local/bin" / link).symlink_to("/usr/bin/python3.11")
        shutil.copy2(HOST_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")
        _commit_root(
            name,
            recipe,
            root,
            [
                "--env",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--env",
                "LANG=C.UTF-8",
                "--env",
                f"SSL_CERT_FILE={HOST_CA_BUNDLE}",
                # uv's bundled roots would not know this machine's CA; the system's store does.
                "--env",
                "UV_NATIVE_TLS=1",
                "--cmd",
                '["python3"]',
            ],
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def image_tag(package: str) -> str:
    """The tag the tests build ``package``'s image under."""
    return f"localhost/{IMAGE_PREFIX}/{package}:{TEST_TAG}"


def build(dockerfile: Path, tag: str, log: Path) -> subprocess.CompletedProcess[str]:
    """``buildah bud`` the Dockerfile from the repository root, as the docs' ``docker build``.

    ``--pull=never``: only the bases in local storage are used, never a registry. ``--format
    docker`` keeps the ``HEALTHCHECK`` that the OCI format has no field for.
    """
    result = buildah(
        "bud",
        "--isolation",
        "chroot",
        "--layers",
        "--pull=never",
        "--format",
        "docker",
        "--file",
        str(dockerfile),
        "--tag",
        tag,
        str(REPO),
        timeout=900,
    )
    log.write_text(result.stdout + result.stderr)
    return result


def image_size(tag: str) -> str:
    """The image's size as buildah reports it (all layers, base included)."""
    listing = json.loads(_buildah_ok("images", "--json", tag))
    return str(listing[0]["size"])


def image_config(tag: str) -> dict[str, Any]:
    """The image's OCI config (``User``, ``Env``, ``Cmd``, ...)."""
    data = json.loads(_buildah_ok("inspect", "--type", "image", tag))
    return dict(data["OCIv1"]["config"])


def remove_leftover_containers(bases: set[str]) -> None:
    """Remove the working containers these tests and their builds leave behind.

    Those of an interrupted earlier run (named with :data:`CONTAINER_PREFIX`), and the ones
    ``buildah bud`` leaves for a stage that only names an external image to ``COPY --from``
    (the uv stage): buildah keeps a working container of that base after every build.
    """
    listing = buildah("containers", "--json")
    if listing.returncode != 0 or not listing.stdout.strip():
        return
    images = {qualified(base) for base in bases}
    found: list[dict[str, Any]] = json.loads(listing.stdout) or []
    for container in found:
        name = str(container.get("containername", ""))
        if name.startswith(CONTAINER_PREFIX) or container.get("imagename") in images:
            buildah("rm", str(container["id"]))


@dataclass
class Service:
    """A long-running command of a container, started by :meth:`Container.start`."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What it printed so far (the last 4000 characters)."""
        return self.log.read_text(errors="replace")[-4000:]

    def service_pids(self) -> list[int]:
        """The processes inside the container: those ``buildah run`` started in its chroot.

        buildah's own helpers (root, outside the chroot) have the host's ``/`` as their root.
        """
        return [pid for pid in _descendants(self.process.pid) if _in_chroot(pid)]

    def stop(self, timeout: float = 40) -> int:
        """SIGTERM the service inside, as ``docker stop`` would, and wait for it to end.

        Only the innermost process gets the signal: buildah's chroot helper above it would
        pass it on as a kill, which is not what a container runtime's stop does.
        """
        pids = self.service_pids()
        parents = {_parent(pid) for pid in pids}
        for pid in (pid for pid in pids if pid not in parents):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=10)


class Container:
    """A working container of a built image: run commands in it or start its services.

    Everything runs with ``--network host``, so a service listens on the host's ports and reaches
    a server the test started on 127.0.0.1.
    """

    def __init__(self, tag: str, scratch: Path) -> None:
        """Create the working container; :meth:`remove` deletes it."""
        self.scratch = scratch
        self.name = f"{CONTAINER_PREFIX}{uuid.uuid4().hex[:10]}"
        _buildah_ok("from", "--pull=never", "--name", self.name, tag)
        self._services: list[Service] = []

    def _secrets(self) -> Path:
        """The directory mounted at /run/secrets, as compose and Kubernetes mount the secrets.

        One per scratch directory, so the API and worker containers of a test share a key.
        """
        directory = self.scratch / "run-secrets"
        if not directory.is_dir():
            directory.mkdir()
            (directory / "codec_keys").write_text(new_key_entry("test") + "\n")
            (directory / "codec_server_token").write_text(secrets.token_urlsafe(24) + "\n")
            for path in (directory, *directory.iterdir()):
                # The image's user (not the test's) reads them; the values are throwaway.
                path.chmod(0o755 if path.is_dir() else 0o644)
        return directory

    def _run_args(self, command: Sequence[str], env: dict[str, str]) -> list[str]:
        pairs = [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
        return [
            "buildah",
            "run",
            "--isolation",
            "chroot",
            "--network",
            "host",
            "--volume",
            f"{self._secrets()}:/run/secrets:ro",
            *pairs,
            self.name,
            "--",
            *command,
        ]

    def run(
        self, command: Sequence[str], env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` to completion as the image's user, with the image's environment."""
        return subprocess.run(
            self._run_args(command, env or {}),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, command: Sequence[str], env: dict[str, str]) -> Service:
        """Start ``command`` in the background (its own process group, so nothing is left)."""
        log = self.scratch / f"{self.name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                self._run_args(command, env),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(process, log)
        self._services.append(service)
        return service

    def remove(self) -> None:
        """Stop what is still running and delete the working container."""
        for service in self._services:
            if service.process.poll() is None:
                service.stop()
        buildah("rm", self.name)


def _parent(pid: int) -> int | None:
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _in_chroot(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return os.readlink(f"/proc/{pid}/root") != "/"
    return False


def process_uids(pid: int) -> tuple[int, int]:
    """Real and effective uid of ``pid`` (from ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            real, effective = line.split()[1:3]
            return int(real), int(effective)
    raise AssertionError(f"no Uid line for {pid}")


def listening_address(port: int) -> str | None:
    """The IPv4 address a socket listens on ``port`` with, from ``/proc/net/tcp``."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            raw = bytes.fromhex(address)[::-1]
            return ".".join(str(byte) for byte in raw)
    return None


def wait_for_http(url: str, service: Service, timeout: float = 90) -> tuple[int, bytes]:
    """Poll ``url`` until it answers 200; fail early if the service exits."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        assert service.process.poll() is None, f"the container exited:\n{service.output()}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as error:
            last = f"{error.code} {error.read()[:300]!r}"
        except OSError as error:
            last = error
        time.sleep(0.5)
    raise AssertionError(f"{url} never answered 200 (last: {last}):\n{service.output()}")
