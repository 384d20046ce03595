"""Read deploy/Dockerfile and deploy/docker-compose.yml the way Docker and Compose do.

The deploy tests use these readers to run arbord with exactly the entrypoint, environment,
user and health check that the image and the compose file define, and to check both files
without a Docker engine. Only the Dockerfile syntax that deploy/Dockerfile uses is supported:
instructions with backslash continuations, comment lines, exec-form (JSON) commands and
`ENV key=value` pairs.
"""

import dataclasses
import json
import shlex
import subprocess
import sys

# Name of the service in deploy/docker-compose.yml that runs arbord.
COMPOSE_SERVICE = "arbord"

# Where Docker and Compose put a secret that has no explicit target.
SECRETS_DIR = "/run/secrets"


@dataclasses.dataclass
class Instruction:
    keyword: str  # upper case, e.g. "RUN"
    arguments: str  # the rest of the logical line, continuations joined
    line: int  # 1-based line of the keyword in the Dockerfile


@dataclasses.dataclass
class Stage:
    base_image: str
    name: str
    instructions: list

    def all(self, keyword):
        """Returns the stage's instructions with this keyword, in file order."""
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword):
        """Returns the stage's last instruction with this keyword (the one Docker applies)."""
        found = self.all(keyword)
        return found[-1] if found else None

    def environment(self):
        """Returns the variables that the stage's ENV instructions set, in order."""
        variables = {}
        for instruction in self.all("ENV"):
            variables.update(parse_env(instruction.arguments))
        return variables


def read_logical_lines(text):
    """Yields (line number, text) per instruction, joining lines that end with a backslash.

    Comment lines are dropped, also inside a continued instruction, as Docker does.
    """
    pending = []
    start_line = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue
        if not pending and not stripped:
            continue
        if not pending:
            start_line = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        yield start_line, " ".join(part for part in pending if part)
        pending = []
    if pending:
        yield start_line, " ".join(part for part in pending if part)


def parse_dockerfile(path):
    """Returns the stages of the Dockerfile at `path`. Raises ValueError on an unknown form."""
    with open(path, encoding="utf-8") as file:
        text = file.read()

    stages = []
    for line, logical in read_logical_lines(text):
        keyword, _, arguments = logical.partition(" ")
        keyword = keyword.upper()
        arguments = arguments.strip()
        if keyword == "FROM":
            words = arguments.split()
            if any(word.startswith("--") for word in words):
                raise ValueError(f"{path}:{line}: FROM options are not supported: {logical}")
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            stages.append(Stage(base_image=words[0], name=name, instructions=[]))
            continue
        if not stages:
            raise ValueError(f"{path}:{line}: {keyword} before the first FROM")
        stages[-1].instructions.append(Instruction(keyword, arguments, line))
    return stages


def parse_env(arguments):
    """Parses the arguments of an ENV instruction into a dict."""
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        # Legacy form `ENV KEY value with spaces`.
        return {words[0]: " ".join(words[1:])}
    variables = {}
    for word in words:
        key, separator, value = word.partition("=")
        if not separator:
            raise ValueError(f"ENV word without '=': {word!r} in {arguments!r}")
        variables[key] = value
    return variables


def parse_exec_form(arguments):
    """Parses a JSON-array command (exec form), or returns None for the shell form."""
    if not arguments.startswith("["):
        return None
    command = json.loads(arguments)
    if not isinstance(command, list) or not all(isinstance(word, str) for word in command):
        raise ValueError(f"exec form must be a JSON array of strings: {arguments}")
    return command


def parse_healthcheck(arguments):
    """Returns (options, exec-form command) of a HEALTHCHECK instruction.

    `options` maps "interval", "timeout", "start-period" and "retries" to their text. The
    command is None when the check uses the shell form or is NONE.
    """
    options = {}
    rest = arguments
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        name, _, value = option[2:].partition("=")
        options[name] = value
        rest = rest.strip()
    keyword, _, command = rest.partition(" ")
    if keyword.upper() != "CMD":
        return options, None
    return options, parse_exec_form(command.strip())


def parse_duration_seconds(text):
    """Converts a Docker or Compose duration such as "1m30s" or "45s" to seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    total = 0.0
    number = ""
    index = 0
    while index < len(text):
        character = text[index]
        if character.isdigit() or character == ".":
            number += character
            index += 1
            continue
        unit = "ms" if text.startswith("ms", index) else character
        if not number or unit not in units:
            raise ValueError(f"invalid duration {text!r}")
        total += float(number) * units[unit]
        number = ""
        index += len(unit)
    if number:
        raise ValueError(f"duration {text!r} has a number without a unit")
    return total


def split_host_port(address):
    """Splits "HOST:PORT" into (HOST, PORT as int)."""
    host, separator, port = address.rpartition(":")
    if not separator or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {address!r}")
    return host, int(port)


@dataclasses.dataclass
class ComposeConfig:
    """The output of `docker-compose config`: the file as Compose resolved it."""

    config: dict  # parsed YAML, with relative paths made absolute
    warnings: str  # everything Compose printed on stderr

    def service(self):
        return self.config["services"][COMPOSE_SERVICE]

    def secret_files(self):
        """Maps each secret target path in the container to its file on the host."""
        files = {}
        for entry in self.service().get("secrets", []):
            source = entry["source"]
            target = entry.get("target", source)
            if not target.startswith("/"):
                target = f"{SECRETS_DIR}/{target}"
            files[target] = self.config["secrets"][source]["file"]
        return files


def load_compose(compose_file):
    """Runs `docker-compose -f FILE config` and parses its output.

    Raises RuntimeError with Compose's message when the file is invalid.
    """
    # PyYAML comes with Debian's docker-compose, which is written in Python and loads it too.
    import yaml

    result = subprocess.run(
        ["docker-compose", "-f", compose_file, "config"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"docker-compose config failed with exit code {result.returncode}: "
            f"{result.stderr.strip()}"
        )
    return ComposeConfig(config=yaml.safe_load(result.stdout), warnings=result.stderr.strip())


def container_environment(runtime_stage, compose):
    """Returns arbord's environment in the container: the image's ENV, overridden by compose's."""
    variables = runtime_stage.environment()
    for key, value in compose.service().get("environment", {}).items():
        variables[key] = "" if value is None else str(value)
    return variables


def parse_user(runtime_stage):
    """Returns (uid, gid) of the runtime stage's USER, which must be numeric."""
    user = runtime_stage.last("USER")
    if user is None:
        raise ValueError("the runtime stage has no USER instruction")
    uid, _, gid = user.arguments.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        raise ValueError(f"USER must be numeric UID[:GID], got {user.arguments!r}")
    return int(uid), int(gid or uid)


class Checks:
    """Counts named checks, prints one line per check and a summary line at the end."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, name, detail=""):
        """Records and prints one check, with `detail` when it failed. Returns `condition`."""
        if condition:
            self.passed += 1
            print(f"ok    {name}", flush=True)
        else:
            self.failed += 1
            suffix = f": {detail}" if detail else ""
            print(f"FAIL  {name}{suffix}", flush=True)
        return bool(condition)

    def finish(self):
        """Prints the totals and exits 0 only when every check passed."""
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(0 if self.failed == 0 and self.passed > 0 else 1)
