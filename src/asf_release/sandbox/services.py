"""Real servers on 127.0.0.1 for the demo and the tests: svnserve, an SMTP server, an HTTP server.

Each one is started and stopped by its owner; none listens on anything but the loopback address.
"""

from __future__ import annotations

import functools
import logging
import mailbox
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Sequence
from email import message_from_bytes, policy
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asf_release.adapters import proc
from asf_release.errors import ExternalError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Whether a server can listen on port now. The servers set SO_REUSEADDR, so a port whose
    last server was killed (its connections in TIME_WAIT) is free for them, and for this test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def port_for(wanted: int) -> int:
    """The port a server asks for (a restarted sandbox keeps its URLs), when it is free; else any
    free one."""
    return wanted if wanted and port_is_free(wanted) else free_port()


def wait_for_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.05)
    raise ExternalError(f"nothing answered on {LOOPBACK}:{port} after {seconds:.0f}s")


class SvnServer:
    """A Subversion repository laid out like dist.apache.org, served by svnserve.

    repository/dev/<project> and repository/release/<project> (holding KEYS); URLs look like
    svn://127.0.0.1:PORT/dist/dev/<project>.
    """

    USER = "rm"

    def __init__(self, root: Path, project: str, password: str = "sandbox-password") -> None:
        self.root = root
        self.project = project
        self.password = password
        self.repository = root / "dist"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"svn://{LOOPBACK}:{self.port}/dist"

    def dev_url(self) -> str:
        return f"{self.url}/dev/{self.project}"

    def release_url(self) -> str:
        return f"{self.url}/release/{self.project}"

    def create(self, keys: bytes) -> None:
        """Create the repository with dev/ and release/ (and KEYS), unless it exists."""
        if self.repository.exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        proc.run(["svnadmin", "create", str(self.repository)])
        conf = self.repository / "conf"
        (conf / "svnserve.conf").write_text(
            "[general]\nanon-access = read\nauth-access = write\npassword-db = passwd\n"
            "realm = asf-release sandbox\n"
        )
        (conf / "passwd").write_text(f"[users]\n{self.USER} = {self.password}\n")
        (conf / "passwd").chmod(0o600)
        layout = self.root / "layout"
        (layout / "dev" / self.project).mkdir(parents=True, exist_ok=True)
        (layout / "release" / self.project).mkdir(parents=True, exist_ok=True)
        (layout / "release" / self.project / "KEYS").write_bytes(keys)
        proc.run(
            [
                "svn",
                "import",
                "--quiet",
                "--non-interactive",
                "-m",
                "Create the dist layout",
                str(layout),
                f"file://{self.repository}",
            ],
        )
        for child in sorted(layout.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
        layout.rmdir()

    def start(self, port: int = 0) -> None:
        self.port = port_for(port)
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                "svnserve",
                "--daemon",
                "--foreground",
                "--listen-host",
                LOOPBACK,
                "--listen-port",
                str(self.port),
                "--root",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        _end(self._process)
        self._process = None

    def __enter__(self) -> SvnServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _end(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a server's process, if it still runs, and wait for it to be gone."""
    if process and process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


class MailCapture:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that stores every message in an mbox file."""

    def __init__(self, mbox_path: Path, *, user: str = "", password: str = "") -> None:
        self.mbox_path = mbox_path
        self.user = user
        self.password = password
        self.port = 0
        self._controller: Any = None

    def start(self, port: int = 0) -> None:
        from aiosmtpd.controller import Controller

        self.mbox_path.parent.mkdir(parents=True, exist_ok=True)
        self.port = port_for(port)
        handler = _StoreHandler(self.mbox_path)
        options: dict[str, Any] = {}
        if self.user:
            options = {
                "authenticator": _Authenticator(self.user, self.password),
                "auth_require_tls": False,
            }
        # aiosmtpd warns about its own use of a deprecated attribute during AUTH, through
        # warnings in some versions and its "mail.log" logger in others
        warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
        logging.getLogger("mail.log").addFilter(_drop_login_data_warning)
        self._controller = Controller(handler, hostname=LOOPBACK, port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Any]:
        if not self.mbox_path.exists():
            return []
        box = mailbox.mbox(self.mbox_path, factory=functools.partial(_parse, policy.default))
        try:
            return list(box)
        finally:
            box.close()

    def __enter__(self) -> MailCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _drop_login_data_warning(record: logging.LogRecord) -> bool:
    return "login_data is deprecated" not in record.getMessage()


def _parse(pol: Any, handle: Any) -> Any:
    return message_from_bytes(handle.read(), policy=pol)


class _StoreHandler:
    def __init__(self, mbox_path: Path) -> None:
        self.mbox_path = mbox_path
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            box = mailbox.mbox(self.mbox_path)
            box.lock()
            try:
                box.add(envelope.original_content or envelope.content)
                box.flush()
            finally:
                box.unlock()
                box.close()
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)


class HttpServer:
    """Serves a directory over HTTP on 127.0.0.1."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        handler = functools.partial(_QuietHandler, directory=str(self.directory))
        self._server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HttpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def roster_json(committee: str, display_name: str, members: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A committee-info.json document with one committee whose PMC is `members` (uid, name)."""
    roster = {uid: {"name": name, "date": "2022-06-01"} for uid, name in members}
    chair_uid, chair_name = members[0]
    return {
        "last_updated": "2026-01-01 00:00:00 UTC",
        "committees": {
            committee: {
                "display_name": display_name,
                "site": "",
                "description": "",
                "mail_list": committee,
                "established": "06/2022",
                "report": ["January", "April", "July", "October"],
                "chair": {chair_uid: {"name": chair_name}},
                "roster_count": len(roster),
                "roster": roster,
                "pmc": True,
            }
        },
    }


class RegistryServer:
    """An OCI distribution registry (Debian's docker-registry) on 127.0.0.1, storing in root/data.

    Plain HTTP: asf-release talks to a registry without TLS only on the loopback address."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self, port: int = 0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port_for(port)
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {LOOPBACK}:{self.port}\n"
        )
        log = (self.root / "registry.log").open("ab")
        try:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv
                [_registry_binary(), "serve", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL
            )
        finally:
            log.close()
        wait_for_port(self.port)

    def stop(self) -> None:
        _end(self._process)
        self._process = None

    def __enter__(self) -> RegistryServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _registry_binary() -> str:
    import shutil

    for name in ("docker-registry", "registry"):
        found = shutil.which(name)
        if found:
            return found
    raise ExternalError(
        "no OCI registry server (docker-registry) is installed",
        "install it: apt-get install docker-registry (scripts/setup.sh does)",
    )


def container_settings(root: Path) -> dict[str, str]:
    """The environment that keeps buildah, podman and skopeo inside root: their own storage
    (vfs, which works in any container), engine settings and registries file, never the
    person's ~/.local/share/containers."""
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    storage, conf, registries = root / "storage.conf", root / "containers.conf", root / "registries.conf"
    storage.write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{root / "storage"}"\nrunroot = "{root / "run"}"\n'
    )
    # the default ulimits are refused inside a container; runc and cgroupfs work everywhere
    conf.write_text(
        "[containers]\ndefault_ulimits = []\n\n"
        f'[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\nevents_logger = "file"\n'
        f'tmp_dir = "{root / "tmp"}"\n'
    )
    registries.write_text("unqualified-search-registries = []\n")
    auth = root / "auth.json"  # no login of the person's is ever read or written
    if not auth.exists():
        auth.write_text('{"auths": {}}\n')
    return {
        "CONTAINERS_STORAGE_CONF": str(storage),
        "CONTAINERS_CONF": str(conf),
        "CONTAINERS_REGISTRIES_CONF": str(registries),
        "REGISTRY_AUTH_FILE": str(root / "auth.json"),
        "TMPDIR": str(root / "tmp"),
    }
