"""Real servers for the integration tests: FerretDB (MongoDB wire protocol) and moto's S3.

Both listen on a free loopback port, are started by the tests and stopped by their PID.
"""

import os
import socket
import subprocess
import time

from tests.support.cli import ROOT

FERRETDB_BIN = os.path.join(ROOT, ".tools", "bin", "ferretdb")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, process=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("server exited with status {}".format(process.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on 127.0.0.1:{} after {}s".format(port, timeout))


def stop_process(process) -> None:
    """Ends a server the tests started, by its PID: SIGTERM, then SIGKILL after 10 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ensure_ferretdb() -> str:
    """Builds FerretDB from its Go module the first time (a few minutes), then reuses it."""
    subprocess.run([os.path.join(ROOT, "scripts", "install_ferretdb.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    return FERRETDB_BIN


class FerretDB:
    """One FerretDB process with a SQLite backend in its own data folder."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.port = free_port()
        self.process = None

    @property
    def uri(self) -> str:
        return "mongodb://127.0.0.1:{}/".format(self.port)

    def start(self) -> "FerretDB":
        binary = ensure_ferretdb()
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(os.path.join(self.data_dir, "ferretdb.log"), "ab")
        self.process = subprocess.Popen([
            binary, "--handler=sqlite", "--sqlite-url=file:{}/".format(self.data_dir),
            "--listen-addr=127.0.0.1:{}".format(self.port), "--telemetry=disable",
            "--debug-addr=-", "--state-dir={}".format(self.data_dir), "--log-level=warn",
        ], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


class MotoServer:
    """moto in server mode: S3, Secrets Manager, Glue over real HTTP on loopback."""

    def __init__(self):
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def endpoint(self) -> str:
        return "http://127.0.0.1:{}".format(self.port)

    def start(self) -> "MotoServer":
        self._server.start()
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(
            self.endpoint + "/moto-api/reset", method="POST"), timeout=10).read()


class AuthenticatingMotoServer:
    """moto as a separate process that checks credentials and IAM policies after the first
    `setup_requests` requests (INITIAL_NO_AUTH_ACTION_COUNT), for access-denied tests."""

    def __init__(self, setup_requests: int):
        self.port = free_port()
        self.setup_requests = setup_requests
        self.process = None

    @property
    def endpoint(self) -> str:
        return "http://127.0.0.1:{}".format(self.port)

    def start(self) -> "AuthenticatingMotoServer":
        import sys

        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(self.setup_requests))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class S3Proxy:
    """S3Proxy 2.6.0 (a Java S3 server; scripts/install_s3proxy.sh fetches it) with its
    filesystem backend: a second S3 implementation, which like several on-premises stores
    implements no additional checksums (CRC32, SHA-256)."""

    ACCESS_KEY = "testing"
    SECRET_KEY = "testing"

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.port = free_port()
        self.process = None

    @property
    def endpoint(self) -> str:
        return "http://127.0.0.1:{}".format(self.port)

    def start(self) -> "S3Proxy":
        jar = subprocess.run([os.path.join(ROOT, "scripts", "install_s3proxy.sh")], check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        java_home = subprocess.run([os.path.join(ROOT, "scripts", "find_java17.sh")],
                                   capture_output=True, text=True).stdout.strip()
        java = os.path.join(java_home, "bin", "java") if java_home else "java"
        blobs = os.path.join(self.data_dir, "blobs")
        os.makedirs(blobs, exist_ok=True)
        properties = os.path.join(self.data_dir, "s3proxy.conf")
        with open(properties, "w") as handle:
            handle.write("\n".join((
                "s3proxy.endpoint={}".format(self.endpoint),
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity={}".format(self.ACCESS_KEY),
                "s3proxy.credential={}".format(self.SECRET_KEY),
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir={}".format(blobs), "")))
        log = open(os.path.join(self.data_dir, "s3proxy.log"), "ab")
        self.process = subprocess.Popen([java, "-jar", jar, "--properties", properties],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_port(self.port, timeout=60, process=self.process)
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
