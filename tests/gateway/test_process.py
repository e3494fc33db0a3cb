"""`seedstack up` as a real process: SIGTERM drains, kill -9 loses at most one flush interval,
two replicas share one PostgreSQL, and a config typo stops startup with the key and file named."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from seedstack.store import open_store
from tests.servers import free_port

pytestmark = [pytest.mark.socket, pytest.mark.slow]

SEEDSTACK = [sys.executable, "-m", "seedstack.cli"]


def _write_config(path: Path, **extra: object) -> Path:
    cfg = {
        "models": {
            "demo": {"backends": [{"provider": "simulator", "name": "sim", "simulator": {"ttft_ms": 5, "itl_ms": 20}}]}
        },
        "telemetry": {"flush_interval_ms": 200},
        **extra,
    }
    path.write_text(yaml.safe_dump(cfg))
    return path


@contextmanager
def gateway_process(config: Path, port: int, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [*SEEDSTACK, "up", "--config", str(config), "--port", str(port)],
        cwd=config.parent,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"gateway did not start: {out}")
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _key(config: Path) -> str:
    out = subprocess.run(
        [*SEEDSTACK, "keys", "create", "--role", "app", "--config", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _count(store_url: str) -> int:
    s = open_store(store_url)
    try:
        return int(s.query_one("SELECT COUNT(*) FROM requests")[0])  # type: ignore[index]
    finally:
        s.close()


def test_sigterm_drains_in_flight_streams_and_records(tmp_path: Path) -> None:
    cfg = _write_config(tmp_path / "seedstack.yaml", store=f"sqlite:///{tmp_path / 'gw.db'}")
    port = free_port()
    with gateway_process(cfg, port) as proc:
        key = _key(cfg)
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        body = {
            "model": "demo",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 40,
            "stream": True,
        }
        results: list[str] = []

        def stream() -> None:
            with httpx.stream("POST", url, json=body, headers={"authorization": f"Bearer {key}"}, timeout=20) as r:
                results.append("".join(r.iter_text()))

        threads = [threading.Thread(target=stream) for _ in range(5)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # streams take ~0.8 s: they are mid-flight when SIGTERM arrives
        for _ in range(20):
            httpx.post(
                url,
                json={**body, "stream": False, "max_tokens": 1},
                headers={"authorization": f"Bearer {key}"},
            )
        proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(20)
        assert proc.wait(20) in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM after draining
    assert len(results) == 5 and all(r.rstrip().endswith("data: [DONE]") for r in results)
    assert _count(f"sqlite:///{tmp_path / 'gw.db'}") == 25


def test_kill_9_loses_at_most_one_flush_interval(tmp_path: Path) -> None:
    cfg = _write_config(tmp_path / "seedstack.yaml", store=f"sqlite:///{tmp_path / 'gw.db'}")
    port = free_port()
    with gateway_process(cfg, port) as proc:
        key = _key(cfg)
        with httpx.Client() as client:
            for _ in range(50):
                client.post(
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    json={"model": "demo", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1},
                    headers={"authorization": f"Bearer {key}"},
                )
        time.sleep(0.6)  # more than one 200 ms flush interval since the last request
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert _count(f"sqlite:///{tmp_path / 'gw.db'}") == 50


@pytest.mark.postgres
def test_two_replicas_share_keys_budgets_and_records(tmp_path: Path, pg_url: str) -> None:
    price = {"input_per_1m": 1000.0, "output_per_1m": 1000.0}
    cfg_data = {
        "store": pg_url,
        "limits": {"backend": "store"},
        "models": {
            "demo": {
                "backends": [
                    {
                        "provider": "simulator",
                        "name": "sim",
                        "price": price,
                        "simulator": {"ttft_ms": 1, "itl_ms": 0},
                    }
                ]
            }
        },
    }
    cfg = tmp_path / "seedstack.yaml"
    cfg.write_text(yaml.safe_dump(cfg_data))
    p1, p2 = free_port(), free_port()
    with gateway_process(cfg, p1), gateway_process(cfg, p2):
        out = subprocess.run(
            [*SEEDSTACK, "keys", "create", "--role", "app", "--budget-usd-day", "0.1", "--config", str(cfg)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        key = out.stdout.strip().splitlines()[-1]
        body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
        codes = []
        for i in range(12):  # alternate replicas; each request costs $0.011 and reserves $0.024
            port = p1 if i % 2 == 0 else p2
            codes.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    json=body,
                    headers={"authorization": f"Bearer {key}"},
                ).status_code
            )
        ok = codes.count(200)
        assert 0 < ok < 12 and codes.count(429) == 12 - ok
        assert ok * 0.011 <= 0.1 + 1e-9
    store = open_store(pg_url)
    try:
        rows = store.query("SELECT status_code, cost_usd FROM requests")
        assert len(rows) == 12
        assert sum(c for s, c in rows if s == 200) <= 0.1 + 1e-9
    finally:
        store.close()


def test_config_typo_fails_startup_naming_the_key_and_file(tmp_path: Path) -> None:
    cfg = tmp_path / "seedstack.yaml"
    cfg.write_text("telemetry:\n  payload_sample_rte: 0.1\n")
    out = subprocess.run(
        [*SEEDSTACK, "up", "--config", str(cfg)], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert out.returncode != 0
    assert "telemetry.payload_sample_rte" in out.stderr and str(cfg) in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_with_a_self_signed_certificate(tmp_path: Path) -> None:
    cert, key_file = _self_signed(tmp_path)
    cfg = _write_config(
        tmp_path / "seedstack.yaml",
        store=f"sqlite:///{tmp_path / 'gw.db'}",
        server={"tls_cert": str(cert), "tls_key": str(key_file)},
    )
    port = free_port()
    trust = ssl.create_default_context(cafile=str(cert))
    proc = subprocess.Popen(
        [*SEEDSTACK, "up", "--config", str(cfg), "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        key = _key(cfg)
        r = httpx.post(
            f"https://127.0.0.1:{port}/v1/chat/completions",
            verify=trust,
            json={"model": "demo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2},
            headers={"authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200 and r.json()["usage"]["completion_tokens"] == 2
        with pytest.raises(httpx.TransportError):  # plain HTTP is not served on the TLS port
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def test_two_workers_serve_one_port_and_drain(tmp_path: Path) -> None:
    cfg = _write_config(
        tmp_path / "seedstack.yaml",
        store=f"sqlite:///{tmp_path / 'gw.db'}",
        server={"workers": 2},
        limits={"backend": "store"},
    )
    port = free_port()
    with gateway_process(cfg, port) as proc:
        key = _key(cfg)
        with httpx.Client() as client:
            for _ in range(40):
                r = client.post(
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    json={"model": "demo", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1},
                    headers={"authorization": f"Bearer {key}", "connection": "close"},
                )
                assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert _count(f"sqlite:///{tmp_path / 'gw.db'}") == 40


def test_workers_without_shared_limits_is_a_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "seedstack.yaml"
    cfg.write_text("server: {workers: 2}\n")
    out = subprocess.run([*SEEDSTACK, "up", "--config", str(cfg)], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode != 0 and "limits.backend" in out.stderr
