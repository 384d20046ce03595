"""Check deploy/Dockerfile, .dockerignore and deploy/docker-compose.yml without Docker.

Validates the compose file with Debian's docker-compose (1.29) and checks that the two files
agree. The scripts the Dockerfile runs must exist and be executable, and the runtime stage must
run as a numeric non-root user with its data in a volume. Listen addresses, exposed ports,
published ports and health checks must match, and no key may end up in the image.

Usage: /usr/bin/python3 tests/deploy/deploy_files_test.py --source-dir REPO
"""

import argparse
import os
import re
import subprocess

import deploy_spec

DATA_VOLUME = "/var/lib/arbor"

# arbord's default --shutdown-grace in seconds. Compose must wait longer than this on stop.
SHUTDOWN_GRACE_SECONDS = 10


def check_stages(checks, source_dir, stages):
    checks.check(len(stages) >= 2, "Dockerfile has a build and a runtime stage",
                 f"found {len(stages)} stage(s)")
    for stage in stages:
        image = stage.base_image
        checks.check(re.fullmatch(r"debian:(12|bookworm)(-slim)?", image) is not None,
                     f"stage '{stage.name}' is based on Debian 12", f"FROM {image}")

    # Every deploy/ script that a stage copies or runs must exist and be executable.
    scripts = {}
    for stage in stages:
        for instruction in stage.instructions:
            if instruction.keyword in ("RUN", "COPY"):
                for script in re.findall(r"deploy/[\w.-]+\.sh", instruction.arguments):
                    scripts.setdefault(script, instruction.line)
    for script, line in scripts.items():
        path = os.path.join(source_dir, script)
        checks.check(os.access(path, os.X_OK), f"{script} (Dockerfile line {line}) is executable",
                     f"{path} is missing or not executable")

    build_runs = " ".join(i.arguments for i in stages[0].all("RUN"))
    checks.check("deploy/install-deps.sh" in build_runs, "build stage runs install-deps.sh")
    checks.check("deploy/build-release.sh" in build_runs, "build stage runs build-release.sh")
    runtime_runs = " ".join(i.arguments for i in stages[-1].all("RUN"))
    checks.check("runtime-deps.sh install" in runtime_runs,
                 "runtime stage runs runtime-deps.sh install")
    checks.check("install-deps.sh" not in runtime_runs,
                 "runtime stage does not install the build packages")


def check_copies(checks, source_dir, stages):
    for stage in stages:
        for instruction in stage.all("COPY"):
            words = instruction.arguments.split()
            if any(word.startswith("--from") for word in words):
                continue
            sources = [word for word in words[:-1] if not word.startswith("--")]
            for source in sources:
                checks.check(os.path.exists(os.path.join(source_dir, source)),
                             f"COPY source {source} exists (line {instruction.line})")
                checks.check("secrets" not in source,
                             f"COPY source {source} is not a secret (line {instruction.line})")

    runtime = stages[-1]
    copied = " ".join(i.arguments for i in runtime.all("COPY") if "--from=" in i.arguments)
    for binary in ("arbord", "arborctl"):
        checks.check(re.search(rf"/bin/{binary}\b", copied) is not None,
                     f"runtime stage copies {binary} from the build stage", copied)


def check_runtime_stage(checks, runtime):
    try:
        uid, gid = deploy_spec.parse_user(runtime)
        checks.check(uid != 0 and gid != 0, "runtime stage runs as a non-root user",
                     f"USER {uid}:{gid}")
    except ValueError as error:
        checks.check(False, "runtime stage runs as a numeric non-root user", str(error))

    volumes = " ".join(i.arguments for i in runtime.all("VOLUME"))
    checks.check(DATA_VOLUME in volumes, f"runtime stage declares VOLUME {DATA_VOLUME}", volumes)
    environment = runtime.environment()
    checks.check(environment.get("ARBOR_DATA_DIR") == DATA_VOLUME,
                 "ARBOR_DATA_DIR is the data volume", str(environment.get("ARBOR_DATA_DIR")))

    entrypoint = runtime.last("ENTRYPOINT")
    command = deploy_spec.parse_exec_form(entrypoint.arguments) if entrypoint else None
    checks.check(command is not None and command[0] == "/usr/local/bin/arbord",
                 "ENTRYPOINT runs /usr/local/bin/arbord in exec form",
                 entrypoint.arguments if entrypoint else "no ENTRYPOINT")
    stop_signal = runtime.last("STOPSIGNAL")
    checks.check(stop_signal is None or stop_signal.arguments == "SIGTERM",
                 "STOPSIGNAL is SIGTERM", stop_signal.arguments if stop_signal else "")


def check_ports(checks, runtime, environment, compose):
    exposed = set()
    for instruction in runtime.all("EXPOSE"):
        exposed.update(int(word.split("/")[0]) for word in instruction.arguments.split())

    published = {}
    for entry in compose.service().get("ports", []):
        # `config` prints ports as "HOST_IP:HOST_PORT:CONTAINER_PORT/PROTOCOL".
        host_ip, _, rest = str(entry).partition(":")
        container_port = int(rest.split(":")[-1].split("/")[0])
        published[container_port] = host_ip

    for variable in ("ARBOR_LISTEN", "ARBOR_METRICS_LISTEN"):
        address = environment.get(variable, "")
        if not checks.check(address != "", f"{variable} is set for the container"):
            continue
        host, port = deploy_spec.split_host_port(address)
        checks.check(host == "0.0.0.0", f"{variable} listens on all container interfaces",
                     address)
        checks.check(port in exposed, f"{variable} port is exposed by the image",
                     f"port {port}, EXPOSE {sorted(exposed)}")
        checks.check(published.get(port) == "127.0.0.1",
                     f"{variable} port is published on the host's loopback",
                     f"port {port}, published {published}")

    server_host, server_port = deploy_spec.split_host_port(environment.get("ARBOR_SERVER", ":0"))
    _, listen_port = deploy_spec.split_host_port(environment.get("ARBOR_LISTEN", ":0"))
    checks.check(server_host == "127.0.0.1" and server_port == listen_port,
                 "ARBOR_SERVER (arborctl in the container) reaches ARBOR_LISTEN",
                 f"ARBOR_SERVER={environment.get('ARBOR_SERVER')}")


def check_healthchecks(checks, runtime, compose):
    instruction = runtime.last("HEALTHCHECK")
    if not checks.check(instruction is not None, "runtime stage has a HEALTHCHECK"):
        return
    options, command = deploy_spec.parse_healthcheck(instruction.arguments)
    checks.check(command is not None and command[0] == "arborctl" and "health" in command,
                 "HEALTHCHECK runs arborctl health in exec form", instruction.arguments)

    healthcheck = compose.service().get("healthcheck", {})
    checks.check(healthcheck.get("test") == ["CMD"] + (command or []),
                 "compose healthcheck runs the same command as the image",
                 f"compose {healthcheck.get('test')}, image {command}")
    for option, compose_key in (("timeout", "timeout"), ("interval", "interval"),
                                ("start-period", "start_period")):
        if option in options and compose_key in healthcheck:
            checks.check(deploy_spec.parse_duration_seconds(options[option]) ==
                         deploy_spec.parse_duration_seconds(healthcheck[compose_key]),
                         f"healthcheck {compose_key} matches the image",
                         f"image {options[option]}, compose {healthcheck[compose_key]}")

    # arborctl must give up before Docker kills the check, so that a hung server is reported
    # as unhealthy by arborctl's own error.
    if command and "--timeout" in command:
        arborctl_timeout = float(command[command.index("--timeout") + 1])
        check_timeout = deploy_spec.parse_duration_seconds(healthcheck.get("timeout", "30s"))
        checks.check(arborctl_timeout < check_timeout,
                     "arborctl --timeout is below the healthcheck timeout",
                     f"{arborctl_timeout} s >= {check_timeout} s")


def check_compose_service(checks, source_dir, compose, environment):
    service = compose.service()
    build = service.get("build", {})
    checks.check(os.path.realpath(build.get("context", "")) == os.path.realpath(source_dir),
                 "compose builds from the repository root", str(build))
    checks.check(build.get("dockerfile") == "deploy/Dockerfile",
                 "compose builds deploy/Dockerfile", str(build))
    checks.check(service.get("restart") == "unless-stopped", "restart is unless-stopped",
                 str(service.get("restart")))

    named_volumes = compose.config.get("volumes", {})
    data_mounts = [v for v in service.get("volumes", []) if v.split(":")[1] == DATA_VOLUME]
    checks.check(len(data_mounts) == 1 and data_mounts[0].split(":")[0] in named_volumes,
                 f"a named volume is mounted at {DATA_VOLUME}", str(service.get("volumes")))

    secrets = compose.secret_files()
    key_file = environment.get("ARBOR_ADMIN_KEY_FILE", "")
    checks.check(key_file in secrets, "ARBOR_ADMIN_KEY_FILE is a compose secret",
                 f"ARBOR_ADMIN_KEY_FILE={key_file!r}, secrets {sorted(secrets)}")
    secrets_dir = os.path.join(source_dir, "deploy", "secrets")
    for target, host_file in secrets.items():
        checks.check(os.path.dirname(host_file) == secrets_dir,
                     f"secret {target} is read from deploy/secrets/", host_file)

    grace = deploy_spec.parse_duration_seconds(service.get("stop_grace_period", "10s"))
    checks.check(grace > SHUTDOWN_GRACE_SECONDS,
                 "stop_grace_period leaves time to drain and close RocksDB",
                 f"{grace} s is not above arbord's {SHUTDOWN_GRACE_SECONDS} s shutdown grace")


def check_ignore_files(checks, source_dir):
    with open(os.path.join(source_dir, ".dockerignore"), encoding="utf-8") as file:
        patterns = {line.strip() for line in file if line.strip() and not line.startswith("#")}
    for pattern in ("build", "build-*", "data", ".git", "deploy/secrets", "deploy/backups"):
        checks.check(pattern in patterns, f".dockerignore excludes {pattern}")

    ignored = subprocess.run(
        ["git", "-C", source_dir, "check-ignore", "-q", "deploy/secrets/admin.key"],
        check=False,
    )
    checks.check(ignored.returncode == 0, "git ignores deploy/secrets/admin.key")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True, help="repository root")
    source_dir = os.path.realpath(parser.parse_args().source_dir)
    dockerfile = os.path.join(source_dir, "deploy", "Dockerfile")
    compose_file = os.path.join(source_dir, "deploy", "docker-compose.yml")

    checks = deploy_spec.Checks()
    quiet = subprocess.run(["docker-compose", "-f", compose_file, "config", "-q"],
                           capture_output=True, text=True, check=False)
    checks.check(quiet.returncode == 0, "docker-compose config -q accepts the file",
                 quiet.stderr.strip())
    checks.check(quiet.stderr.strip() == "", "docker-compose config -q prints no warning",
                 quiet.stderr.strip())

    try:
        stages = deploy_spec.parse_dockerfile(dockerfile)
        compose = deploy_spec.load_compose(compose_file)
    except (OSError, RuntimeError, ValueError) as error:
        checks.check(False, "Dockerfile and compose file can be read", str(error))
        checks.finish()
    runtime = stages[-1]
    environment = deploy_spec.container_environment(runtime, compose)

    check_stages(checks, source_dir, stages)
    check_copies(checks, source_dir, stages)
    check_runtime_stage(checks, runtime)
    check_ports(checks, runtime, environment, compose)
    check_healthchecks(checks, runtime, compose)
    check_compose_service(checks, source_dir, compose, environment)
    check_ignore_files(checks, source_dir)
    checks.finish()


if __name__ == "__main__":
    main()
