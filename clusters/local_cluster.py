#!/usr/bin/env python3
"""A real multi-node Ray cluster on one machine: one head plus N worker nodes, each its own
`ray start` (own raylet, object store, dashboard agent and temp dir), so scheduling by custom
resources, `ray job submit`, and a store shared by several nodes can be tried without a cloud.

    python clusters/local_cluster.py start --dir /tmp/rtms-cluster --workers 2
    eval "$(python clusters/local_cluster.py env --dir /tmp/rtms-cluster)"
    ray job submit -- python -c "import ray; ray.init(); print(ray.nodes())"
    python clusters/local_cluster.py stop --dir /tmp/rtms-cluster

What makes several nodes on one machine work (ray 2.60, Linux):
- Every fixed default port gets a free port instead: GCS (--port), dashboard, Ray Client server,
  and the dashboard agent's HTTP port (52365 by default on every node). Worker ports are taken
  from the OS (--min/max-worker-port=0) so two raylets never hand out the same port. Everything
  else (node manager, object manager, metrics, runtime-env agent) is already OS-chosen.
- Each node has its own --temp-dir (logs, sockets); the `ray_current_cluster` file lands in the
  head's temp dir, not /tmp/ray, so a plain `ray.init()` elsewhere on the machine never joins
  this cluster by accident.
- Node i listens on its own loopback address, 127.0.0.(2 + i) (the head is 127.0.0.2): `ray start`
  replaces 127.0.0.1 by the host's routable address but takes any other loopback address as
  given, so all cluster traffic stays on the loopback device, and every node has a distinct IP
  (its own "node:<ip>" resource), as on a real cluster.
- Token authentication (ray's default once ~/.ray/auth_token exists) uses a token of this cluster
  alone, kept in DIR/auth_token; clients need RAY_AUTH_MODE=token and RAY_AUTH_TOKEN_PATH, which
  `env` prints together with RAY_ADDRESS (for ray.init) and RAY_API_SERVER_ADDRESS (for `ray job`).
- Each node runs `ray start --block` in its own session; `stop` sends SIGTERM to those processes
  only (each tears its node down), then SIGKILLs what is left of their process groups. It never
  calls `ray stop`, which would kill every Ray process on the machine, other users' included.
- Logical CPUs may exceed the real cores (defaults: head 2, workers 1 each, on a 2-core machine).
  The tuner's Ray pools size themselves from the free CPUs when a job starts; a job sized with
  `raytune-ms tune --num-builders B --num-runners R` asks for B + R CPUs.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

STATE_FILE = "cluster.json"
HEAD_IP = "127.0.0.2"  # worker i listens on 127.0.0.(2 + i)
DASHBOARD_HOST = "127.0.0.1"
READY_LINE = "Ray runtime started."
SOCKET_PATH_MAX = 107
DEFAULT_WORKER_RESOURCES = [{"accel_sim": 1}, {}]  # cycled over the workers


def _ray_executable() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "ray")
    if os.path.exists(beside):
        return beside
    from shutil import which

    found = which("ray")
    if found is None:
        raise SystemExit("the `ray` command was not found next to this Python or on PATH")
    return found


def _free_ports(count: int) -> list[int]:
    """`count` distinct ports free right now (the sockets stay open until all are chosen)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _client_env(state: dict) -> dict:
    """Variables a client of this cluster needs (ray.init, ray status, ray job ...)."""
    return {
        "RAY_ADDRESS": state["gcs_address"],
        "RAY_API_SERVER_ADDRESS": state["dashboard_url"],
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": state["token_path"],
    }


def _node_env(state: dict) -> dict:
    env = dict(os.environ)
    env.update(_client_env(state))
    env.pop("RAY_ADDRESS")  # a head must not try to join some other cluster
    env.pop("RAY_API_SERVER_ADDRESS")
    # Jobs' entrypoints (`python`, `raytune-ms`) resolve in the environment that runs this script.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    env["RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S"] = "0"  # SIGTERM tears down at once
    return env


def _state_path(cluster_dir: str) -> str:
    return os.path.join(cluster_dir, STATE_FILE)


def load_state(cluster_dir: str) -> dict:
    path = _state_path(cluster_dir)
    if not os.path.exists(path):
        raise SystemExit(f"no local cluster recorded in {cluster_dir} ({STATE_FILE} missing)")
    with open(path) as f:
        return json.load(f)


def _save_state(state: dict) -> None:
    path = _state_path(state["dir"])
    with open(path + ".tmp", "w") as f:
        json.dump(state, f, indent=2)
    os.replace(path + ".tmp", path)


def _log_tail(path: str, lines: int = 25) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _launch(state: dict, name: str, ip: str, args: list[str]) -> tuple[dict, subprocess.Popen]:
    """Starts one node as `ray start --block ...` in a session of its own."""
    args = [f"--node-ip-address={ip}", *args]
    log = os.path.join(state["dir"], f"{name}.log")
    with open(log, "w") as out:
        proc = subprocess.Popen([_ray_executable(), "start", "--block", *args],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=_node_env(state), start_new_session=True)
    node = {"name": name, "ip": ip, "pid": proc.pid, "log": log, "args": args}
    state["nodes"].append(node)
    _save_state(state)
    return node, proc


def _wait_ready(started: tuple[dict, subprocess.Popen], deadline: float) -> None:
    node, proc = started
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"node {node['name']} exited while starting; log {node['log']}:\n"
                               + _log_tail(node["log"]))
        with open(node["log"], errors="replace") as f:
            if READY_LINE in f.read():
                return
        time.sleep(0.2)
    raise TimeoutError(f"node {node['name']} not ready in time; log {node['log']}:\n"
                       + _log_tail(node["log"]))


def _http_get(state: dict, route: str) -> dict:
    with open(state["token_path"]) as f:
        token = f.read().strip()
    req = urllib.request.Request(state["dashboard_url"] + route,
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read() or b"null")


def alive_nodes(state: dict) -> int:
    """Alive nodes as the head's GCS sees them (through the dashboard's state API)."""
    reply = _http_get(state, "/api/v0/nodes?limit=1000&detail=false")
    rows = reply["data"]["result"]["result"]
    return sum(1 for row in rows if row.get("state") == "ALIVE")


def _wait_cluster(state: dict, deadline: float) -> None:
    """Until the Jobs API answers and every node has registered with the GCS."""
    want = len(state["nodes"])
    last = None
    while time.monotonic() < deadline:
        try:
            _http_get(state, "/api/jobs/")
            seen = alive_nodes(state)
            if seen == want:
                return
            last = f"{seen} of {want} nodes alive"
        except (urllib.error.URLError, OSError, KeyError, ValueError) as e:
            last = repr(e)
        time.sleep(0.5)
    raise TimeoutError(f"cluster in {state['dir']} not ready in time: {last}")


def _check_socket_paths(cluster_dir: str, workers: int) -> None:
    """Ray puts Unix sockets under TEMP_DIR/session_<date>_<pid>/sockets/; Linux caps such a
    path at 107 bytes, and the failure Ray shows for a longer one does not say why."""
    longest = os.path.join(cluster_dir, f"w{workers}", "session_" + "x" * 36, "sockets",
                           "plasma_store")
    if len(longest.encode()) > SOCKET_PATH_MAX:
        raise SystemExit(f"cluster directory {cluster_dir!r} is too long for Ray's Unix socket "
                         f"paths ({len(longest.encode())} > {SOCKET_PATH_MAX} bytes); use a "
                         "shorter one, e.g. under /tmp")


def start(cluster_dir: str, workers: int = 2, head_cpus: int = 2, worker_cpus: int = 1,
          head_resources: dict | None = None, worker_resources: list[dict] | None = None,
          object_store_mb: int = 256, timeout_s: float = 180.0) -> dict:
    """Starts the head and `workers` worker nodes; returns the cluster state (also saved as
    DIR/cluster.json). worker_resources: custom resources per worker, cycled if shorter than
    `workers` (default: {"accel_sim": 1} on odd workers, standing in for accelerator hosts,
    which a job reaches by asking for that resource, as a GPU runner asks for "GPU").
    Everything started is torn down again if any node fails to come up."""
    cluster_dir = os.path.abspath(cluster_dir)
    if not 0 <= workers <= 250:
        raise SystemExit(f"--workers must be between 0 and 250, got {workers}")
    _check_socket_paths(cluster_dir, workers)
    if os.path.exists(_state_path(cluster_dir)):
        if any(_alive(n) for n in load_state(cluster_dir)["nodes"]):
            raise SystemExit(f"a local cluster is already running in {cluster_dir}; stop it first")
    os.makedirs(cluster_dir, exist_ok=True)
    worker_resources = worker_resources or list(DEFAULT_WORKER_RESOURCES)
    token_path = os.path.join(cluster_dir, "auth_token")
    fd = os.open(token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))

    gcs_port, dash_port, client_port, *agent_ports = _free_ports(3 + 1 + workers)
    state = {
        "dir": cluster_dir,
        "gcs_address": f"{HEAD_IP}:{gcs_port}",
        "dashboard_url": f"http://{DASHBOARD_HOST}:{dash_port}",
        "token_path": token_path,
        "nodes": [],
    }
    common = ["--min-worker-port=0", "--max-worker-port=0",
              f"--object-store-memory={object_store_mb * 1024 * 1024}"]
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    try:
        head = _launch(state, "head", HEAD_IP, common + [
            "--head", f"--port={gcs_port}", f"--num-cpus={head_cpus}",
            f"--resources={json.dumps(head_resources or {})}",
            "--include-dashboard=true", f"--dashboard-host={DASHBOARD_HOST}",
            f"--dashboard-port={dash_port}", f"--ray-client-server-port={client_port}",
            f"--dashboard-agent-listen-port={agent_ports[0]}",
            f"--temp-dir={os.path.join(cluster_dir, 'h')}", "--disable-usage-stats"])
        _wait_ready(head, deadline)
        state["head_ready_s"] = round(time.monotonic() - t0, 2)
        started = []
        for i in range(1, workers + 1):
            resources = worker_resources[(i - 1) % len(worker_resources)]
            started.append(_launch(state, f"worker{i}", f"127.0.0.{2 + i}", common + [
                f"--address={state['gcs_address']}", f"--num-cpus={worker_cpus}",
                f"--resources={json.dumps(resources)}",
                f"--dashboard-agent-listen-port={agent_ports[i]}",
                f"--temp-dir={os.path.join(cluster_dir, f'w{i}')}"]))
        for node in started:
            _wait_ready(node, deadline)
        _wait_cluster(state, deadline)
    except BaseException:
        stop(cluster_dir)
        raise
    state["start_s"] = round(time.monotonic() - t0, 2)
    _save_state(state)
    return state


def _alive(node: dict) -> bool:
    """Whether the node's `ray start` process still runs (and is still ours, not a reused pid)."""
    try:
        with open(f"/proc/{node['pid']}/cmdline", "rb") as f:
            cmdline = f.read().decode(errors="replace")
    except OSError:
        return False
    temp_dir = next(a for a in node["args"] if a.startswith("--temp-dir="))
    return "--block" in cmdline and temp_dir in cmdline


def _group_members(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def stop(cluster_dir: str, grace_s: float = 20.0) -> float:
    """Tears down every node this cluster started (workers first) and returns the seconds it
    took. Safe to call twice or on a half-started cluster."""
    cluster_dir = os.path.abspath(cluster_dir)
    if not os.path.exists(_state_path(cluster_dir)):
        return 0.0
    state = load_state(cluster_dir)
    t0 = time.monotonic()
    nodes = list(reversed(state["nodes"]))  # workers before the head
    for node in nodes:
        if _alive(node):
            os.kill(node["pid"], signal.SIGTERM)
    deadline = t0 + grace_s
    while time.monotonic() < deadline and any(_alive(n) for n in nodes):
        time.sleep(0.2)
    for node in nodes:
        # Each node ran in its own session, so its pid is its process group: whatever remains
        # there (a raylet or worker that ignored SIGTERM) belongs to this cluster.
        for pid in _group_members(node["pid"]):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    os.remove(_state_path(cluster_dir))
    return round(time.monotonic() - t0, 2)


def env_lines(state: dict) -> str:
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in _client_env(state).items())


def _parse_resources(text: str) -> list[dict]:
    value = json.loads(text)
    value = value if isinstance(value, list) else [value]
    if not all(isinstance(v, dict) for v in value):
        raise SystemExit(f"--worker-resources must be a JSON object or list of objects: {text}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "stop", "status", "env"):
        p = sub.add_parser(name)
        p.add_argument("--dir", default="/tmp/rtms-cluster",
                       help="cluster directory: state, logs, node temp dirs, auth token")
        if name == "start":
            p.add_argument("--workers", type=int, default=2)
            p.add_argument("--head-cpus", type=int, default=2)
            p.add_argument("--worker-cpus", type=int, default=1)
            p.add_argument("--head-resources", default="{}", help="JSON custom resources")
            p.add_argument("--worker-resources", default=json.dumps(DEFAULT_WORKER_RESOURCES),
                           help="JSON object for every worker, or a list cycled over workers")
            p.add_argument("--object-store-mb", type=int, default=256)
            p.add_argument("--timeout", type=float, default=180.0)
            p.add_argument("--json", action="store_true", help="print the state as JSON")
    args = parser.parse_args(argv)

    if args.command == "start":
        state = start(args.dir, args.workers, args.head_cpus, args.worker_cpus,
                      json.loads(args.head_resources), _parse_resources(args.worker_resources),
                      args.object_store_mb, args.timeout)
        if args.json:
            print(json.dumps(state))
        else:
            print(f"local Ray cluster up in {state['start_s']} s: head + {args.workers} workers,"
                  f" GCS {state['gcs_address']}, dashboard {state['dashboard_url']}")
            print(f'use it:  eval "$(python {sys.argv[0]} env --dir {state["dir"]})"')
    elif args.command == "stop":
        print(f"stopped in {stop(args.dir)} s")
    elif args.command == "env":
        print(env_lines(load_state(args.dir)))
    else:
        state = load_state(args.dir)
        for node in state["nodes"]:
            print(f"{node['name']:10s} pid {node['pid']:>7d} "
                  f"{'running' if _alive(node) else 'DEAD'}  log {node['log']}")
        print(f"alive nodes seen by the GCS: {alive_nodes(state)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
