"""Real processes for tests/test_deploy.py: the project installed from its wheel into a fresh
virtual environment, a PostgreSQL database of its own, nodes (a gunicorn server and an
`index sync --follow` process each, in a process group of their own), nginx in front of them,
and an HTTP client that can speak from any loopback address (127.0.0.0/8), so that each test
visitor has an address of its own."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import conftest

# -- the installed package ---------------------------------------------------------------------


def install_wheel(checkout: Path, work: Path) -> Path:
    """Build the project's wheel and install it with gunicorn into a new virtual environment
    (as .ci/wheel-smoke does); returns the environment's bin/ folder."""
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist)]
        + [str(checkout)],
        check=True,
        cwd=work,
    )
    (wheel,) = dist.glob("*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    bin_dir = work / "venv" / "bin"
    done = subprocess.run(
        [str(bin_dir / "pip"), "install", "--quiet", f"{wheel}[serve]"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import directory; print(directory.__file__)"],
        cwd=work,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(checkout) not in where, f"the checkout was imported: {where}"
    return bin_dir


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for installed commands: nothing pointing into the checkout, and none
    of the test run's own DIRECTORY_* settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "FLASK_APP", "VIRTUAL_ENV") and not k.startswith("DIRECTORY_")
    }
    env.update(extra)
    return env


# -- tools -----------------------------------------------------------------------------------


def find_program(program: str) -> str | None:
    for candidate in (shutil.which(program), f"/usr/sbin/{program}", f"/usr/bin/{program}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_or_install(program: str, package: str) -> str | None:
    """The path of `program`, installed with apt-get (Debian's `package`) when missing and
    this process may install packages; None when it is still missing."""
    found = find_program(program)
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True)
        subprocess.run(install, capture_output=True)
    return find_program(program)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def visitor() -> str:
    """A loopback address of its own for one test visitor (Linux answers all of 127/8)."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


# -- PostgreSQL --------------------------------------------------------------------------------


def postgres_database(admin_url: str) -> contextlib.AbstractContextManager[str]:
    """A new, empty database `deploy_<random>`, dropped afterwards; yields its URL."""
    return conftest.postgres_database(admin_url, "deploy")


# -- processes ---------------------------------------------------------------------------------


def start(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    """A process in a session (and process group) of its own, output to `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Signal a process's whole group, and wait for the process (SIGKILL if it lingers)."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Node:
    """One web node: gunicorn (one worker) from the installed package, its own index folder
    and its own follower."""

    name: str
    bin: Path
    root: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    web: subprocess.Popen | None = None
    follower: subprocess.Popen | None = None

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.bin / "flask"), "--app", "directory", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        assert not check or done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def start(self, **settings: str) -> None:
        env = {**self.env, **settings}
        self.follower = start(
            [str(self.bin / "flask"), "--app", "directory", "index", "sync", "--follow"]
            + ["--interval", "0.5"],
            env,
            self.root,
            self.root / "follower.log",
        )
        self.web = start(
            [str(self.bin / "gunicorn"), "-c", "python:directory.gunicorn_config"]
            + ["--no-control-socket", "-w", "1", "-b", f"127.0.0.1:{self.port}"]
            + ["directory:create_app()"],
            env,
            self.root,
            self.root / "gunicorn.log",
        )

    def wait_ready(self, timeout: float = 60) -> dict[str, Any]:
        """Until /readyz answers 200 (straight to the node, not through nginx)."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.web is not None and self.web.poll() is None, self.log("gunicorn")
            with contextlib.suppress(OSError):
                status, _, body = request("GET", f"http://127.0.0.1:{self.port}/readyz")
                if status == 200:
                    return json.loads(body)
            assert time.monotonic() < deadline, f"{self.name} never got ready: {self.log()}"
            time.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """The whole node at once: gunicorn (master and worker) and the follower."""
        stop(self.web, sig)
        stop(self.follower, sig)

    def log(self, which: str = "gunicorn") -> str:
        path = self.root / f"{which}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


NGINX_CONF = """\
# The deployment's nginx: both nodes behind one address (README: Deployment).
worker_processes 1;
{user}pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

{upstreams}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://directory;
{proxy}
        }}
    }}
{pinned}}}
"""

# The part of the configuration the README shows: what every proxied request gets.
PROXY_SETTINGS = """\
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # Appends the address nginx saw: DIRECTORY_TRUSTED_PROXIES=1 on the nodes.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A node that is down (refused, reset, timed out) gets the request's retry.
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            client_max_body_size 20m;
            # The node that answered (for the test; leave it out in production).
            add_header X-Upstream $upstream_addr always;"""


def upstream(name: str, ports: list[int]) -> str:
    servers = "".join(
        f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;\n" for port in ports
    )
    return f"    upstream {name} {{\n{servers}        keepalive 16;\n    }}\n"


@dataclass
class Nginx:
    """nginx in the foreground with its own prefix: the deployment's address (both nodes),
    plus, for the test only, one address per node (`pinned`) and one with node A alone."""

    binary: str
    prefix: Path
    nodes: list[Node]
    port: int = field(default_factory=free_port)
    one_node_port: int = field(default_factory=free_port)
    pinned: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def config(self) -> str:
        self.pinned = self.pinned or {node.name: free_port() for node in self.nodes}
        upstreams = upstream("directory", [n.port for n in self.nodes]) + upstream(
            "one_node", [self.nodes[0].port]
        )
        extra = [("one_node", self.one_node_port)]
        for node in self.nodes:
            upstreams += upstream(f"node_{node.name}", [node.port])
            extra.append((f"node_{node.name}", self.pinned[node.name]))
        pinned = "".join(
            f"    server {{\n        listen 127.0.0.1:{port};\n        location / {{\n"
            f"            proxy_pass http://{name};\n{PROXY_SETTINGS}\n        }}\n    }}\n"
            for name, port in extra
        )
        return NGINX_CONF.format(
            user="user root;\n" if os.geteuid() == 0 else "",
            prefix=self.prefix,
            upstreams=upstreams,
            port=self.port,
            proxy=PROXY_SETTINGS,
            pinned=pinned,
        )

    def start(self) -> None:
        self.prefix.mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(self.config())
        argv = [self.binary, "-e", str(self.prefix / "error.log"), "-p", str(self.prefix)]
        argv += ["-c", str(conf), "-g", "daemon off;"]
        check = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = start(argv, os.environ.copy(), self.prefix, self.prefix / "nginx.out")
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            assert self.process.poll() is None, (self.prefix / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)

    def url(self, path: str, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}{path}"

    def stop(self) -> None:
        stop(self.process, signal.SIGQUIT)


# -- HTTP ----------------------------------------------------------------------------------------


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection, from loopback address `source` (a new random one by
    default, so that requests do not share a rate-limit bucket unless they mean to)."""
    match = re.fullmatch(r"http://([^:/]+):(\d+)(/.*)", url)
    assert match, url
    conn = http.client.HTTPConnection(
        match[1], int(match[2]), timeout=timeout, source_address=(source or visitor(), 0)
    )
    try:
        conn.request(method, match[3], body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def get_json(url: str, **kw: Any) -> tuple[int, dict[str, str], Any]:
    status, headers, body = request("GET", url, **kw)
    return status, headers, json.loads(body) if body else None


def wait_until(check: Callable[[], Any], what: str, timeout: float, poll: float = 0.05) -> float:
    """Seconds until `check()` is true; AssertionError after `timeout`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout} s"
        time.sleep(poll)
    return time.monotonic() - started


# -- load ----------------------------------------------------------------------------------------

WRK_SCRIPT = """\
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def requests_per_second(url: str, paths: list[str], seconds: float, work: Path) -> dict:
    """Requests/s on `url` for a mix of GET `paths` in turn: wrk (1 thread, 8 connections)
    when installed, else a Python client of 8 threads. Non-2xx answers are counted."""
    wrk = shutil.which("wrk")
    if wrk:
        script = work / "mix.lua"
        script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
        out = subprocess.run(
            [wrk, "-t1", "-c8", f"-d{seconds:g}s", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
        errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        return {"rps": rps, "non_2xx": int(errors[1]) if errors else 0, "client": "wrk"}
    return _threaded_rps(url, paths, seconds)


def _threaded_rps(url: str, paths: list[str], seconds: float) -> dict:
    import threading

    counts = {"ok": 0, "bad": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(offset: int) -> None:
        i = offset
        while time.monotonic() < deadline:
            status, _, _ = request("GET", url + paths[i % len(paths)], source="127.0.0.1")
            i += 1
            with lock:
                counts["ok" if status < 400 else "bad"] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = counts["ok"] + counts["bad"]
    return {"rps": total / seconds, "non_2xx": counts["bad"], "client": "python"}
