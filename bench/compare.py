# The measurements behind bench/run: kcx against curl and python-keycloak, side by side in one run, on
# a kcx-sandbox started with --control (its /_sandbox/stats counts the requests each variant sends).
# Prints a Markdown table of median and spread (min-max) per row. Run through bench/run, which sets
# the environment: KCX, SANDBOX_URL, ADMIN_PASSWORD, VENV_PYTHON, WORKDIR, STARTUP_RUNS, ONE_LINER_RUNS,
# BULK_RUNS, SCALE_RUNS, SCOPES, SCALE_CLIENTS, SCALE_SCOPES, LATENCY_MS, LATENCY_RUNS.
import http.client
import json
import resource
import os
import shutil
import statistics
import subprocess
import sys
import time
from urllib.parse import quote, urlencode, urlsplit

KCX = os.environ["KCX"]
BASE = os.environ["SANDBOX_URL"]
PASSWORD = os.environ["ADMIN_PASSWORD"]
VENV_PYTHON = os.environ["VENV_PYTHON"]
WORKDIR = os.environ["WORKDIR"]
STARTUP_RUNS = int(os.environ.get("STARTUP_RUNS", "30"))
ONE_LINER_RUNS = int(os.environ.get("ONE_LINER_RUNS", "20"))
BULK_RUNS = int(os.environ.get("BULK_RUNS", "3"))
SCALE_RUNS = int(os.environ.get("SCALE_RUNS", "20"))
SCOPES = int(os.environ.get("SCOPES", "200"))
SCALE_CLIENTS = int(os.environ.get("SCALE_CLIENTS", "10000"))
SCALE_SCOPES = int(os.environ.get("SCALE_SCOPES", "2000"))
LATENCY_MS = int(os.environ.get("LATENCY_MS", "20"))
LATENCY_RUNS = int(os.environ.get("LATENCY_RUNS", "3"))
CONFIG = os.path.join(WORKDIR, "kcx-config.json")

rows = []  # (section, name, samples in seconds, requests per run or None, note)


def log(message):
    print(message, file=sys.stderr, flush=True)


class Connection:
    """One keep-alive HTTP/1.1 connection to the sandbox (setup, stats and the serving floor)."""

    def __init__(self):
        parts = urlsplit(BASE)
        self.http = http.client.HTTPConnection(parts.hostname, parts.port)
        self.token = None

    def request(self, method, path, body=None, form=None, expect=None):
        headers = {}
        payload = None
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body)
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            payload = urlencode(form)
        self.http.request(method, path, body=payload, headers=headers)
        response = self.http.getresponse()
        data = response.read()
        if expect is not None and response.status not in expect:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:300]!r}")
        return response.status, response, data

    def login(self):
        _, _, data = self.request(
            "POST", "/realms/master/protocol/openid-connect/token",
            form={"grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": PASSWORD},
            expect=[200],
        )
        self.token = json.loads(data)["access_token"]
        return self.token


control = Connection()


def served_requests():
    _, _, data = control.request("GET", "/_sandbox/stats", expect=[200])
    return json.loads(data)["requests"]


# The stats request itself is counted; measure how many counts one reading adds.
_first = served_requests()
STATS_OVERHEAD = served_requests() - _first

admin = Connection()
admin.login()
# Master admin tokens live 60 s by default; the curl rows reuse one token for the whole run.
admin.request("PUT", "/admin/realms/master", body={"accessTokenLifespan": 3600}, expect=[204])
token = admin.login()


def create_realm(name, clients=(), scopes=()):
    admin.request("DELETE", f"/admin/realms/{name}", expect=[204, 404])
    body = {"realm": name, "enabled": True}
    if clients:
        body["clients"] = list(clients)
    if scopes:
        body["clientScopes"] = list(scopes)
    admin.request("POST", "/admin/realms", body=body, expect=[201])


def base_clients():
    return [
        {"clientId": "app", "publicClient": False, "secret": "app-secret"},
        {"clientId": "api", "publicClient": False, "secret": "api-secret"},
    ]


def run_command(argv, env=None):
    completed = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if completed.returncode != 0:
        raise RuntimeError(f"{argv[:4]}... exited {completed.returncode}: {completed.stderr.decode()[-400:]}")
    return completed.stderr.decode()


def timed(action, setup=None):
    """Seconds and requests served for one run of `action` (after an untimed `setup`)."""
    if setup:
        setup()
    before = served_requests()
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    return elapsed, served_requests() - before - STATS_OVERHEAD


def with_realm(realm):
    """The environment for a declarative file that names its realm as ${BENCH_REALM}."""
    return dict(os.environ, BENCH_REALM=realm)


def measure_interleaved(section, variants, runs):
    """Round-robin over the variants so background load hits them alike; variants are
    (name, argv, note) or (name, argv, note, environment)."""
    samples = {variant[0]: [] for variant in variants}
    requests = {}
    for _ in range(runs):
        for variant in variants:
            name, argv = variant[0], variant[1]
            environment = variant[3] if len(variant) > 3 else None
            elapsed, count = timed(lambda: run_command(argv, environment))
            samples[name].append(elapsed)
            requests[name] = count
    for variant in variants:
        rows.append((section, variant[0], samples[variant[0]], requests[variant[0]], variant[2]))


# 1. Start-up -------------------------------------------------------------------------------------
log("start-up...")
measure_interleaved(
    "1. start-up",
    [
        ("kcx --version", [KCX, "--version"], ""),
        ("kcx --help", [KCX, "--help"], ""),
        ("curl --version", ["curl", "--version"], "floor for a libcurl program"),
        ("python -c 'import keycloak'", [VENV_PYTHON, "-c", "import keycloak"], "python-keycloak import"),
    ],
    STARTUP_RUNS,
)

# 2. One-liner with a stored session --------------------------------------------------------------
log("one-liner...")
create_realm("bench-lookup", clients=base_clients())
login = subprocess.run(
    [KCX, "config", "credentials", "--server", BASE, "--realm", "master", "--user", "admin", "--password-stdin",
     "--config", CONFIG],
    input=(PASSWORD + "\n").encode(), capture_output=True,
)
if login.returncode != 0:
    sys.exit(f"kcx config credentials failed: {login.stderr.decode()}")

one_shot = os.path.join(WORKDIR, "one_shot.py")
with open(one_shot, "w") as file:
    file.write(
        "import os, sys\n"
        "from keycloak import KeycloakAdmin\n"
        "admin = KeycloakAdmin(server_url=os.environ['SANDBOX_URL'] + '/', username='admin',\n"
        "    password=os.environ['ADMIN_PASSWORD'], realm_name='bench-lookup', user_realm_name='master')\n"
        "print(admin.get_client_id('app') or sys.exit(1))\n"
    )
measure_interleaved(
    "2. one-liner",
    [
        ("kcx get clients -q clientId=app", [KCX, "get", "clients", "-r", "bench-lookup", "-q", "clientId=app",
                                             "--config", CONFIG], "stored session"),
        ("curl with a token", ["curl", "-sS", "--fail", "-o", "/dev/null", "-H", "Authorization: Bearer " + token,
                               BASE + "/admin/realms/bench-lookup/clients?clientId=app"], "floor"),
        ("python-keycloak one-shot", [VENV_PYTHON, one_shot], "logs in first: it has no stored session"),
    ],
    ONE_LINER_RUNS,
)

# 3 and 4. Bulk provisioning and the no-change re-run -----------------------------------------------
log(f"bulk provisioning of {SCOPES} scopes...")
kcx_script = os.path.join(WORKDIR, "kcx-one-liners.sh")
with open(kcx_script, "w") as file:
    file.write('set -e\nrealm="$1"\n')
    for index in range(SCOPES):
        file.write(f'"{KCX}" audience add --audience api --scope aud-{index:03d} --create-scope --assign app --default '
                   f'-r "$realm" --config "{CONFIG}"\n')

audience = {"name": "api audience", "audience": "api", "accessToken": True, "idToken": False, "introspection": True}
apply_file = os.path.join(WORKDIR, "bulk.json")
with open(apply_file, "w") as file:
    names = [f"aud-{index:03d}" for index in range(SCOPES)]
    json.dump({"realms": [{
        "realm": "${BENCH_REALM}",
        "clientScopes": [{"name": name, "protocol": "openid-connect", "audienceMappers": [audience]} for name in names],
        "clients": [{"clientId": "app", "defaultScopes": names}],
    }]}, file, indent=2)

python_script = os.path.join(WORKDIR, "python_bulk.py")
with open(python_script, "w") as file:
    file.write(
        "import os, sys\n"
        "from keycloak import KeycloakAdmin\n"
        "realm, count = sys.argv[1], int(sys.argv[2])\n"
        "admin = KeycloakAdmin(server_url=os.environ['SANDBOX_URL'] + '/', username='admin',\n"
        "    password=os.environ['ADMIN_PASSWORD'], realm_name=realm, user_realm_name='master')\n"
        "app = admin.get_client_id('app')\n"
        "for index in range(count):\n"
        "    name = f'aud-{index:03d}'\n"
        "    scope = admin.create_client_scope({'name': name, 'protocol': 'openid-connect'})\n"
        "    admin.add_mapper_to_client_scope(scope, {'name': 'api audience', 'protocol': 'openid-connect',\n"
        "        'protocolMapper': 'oidc-audience-mapper',\n"
        "        'config': {'included.client.audience': 'api', 'access.token.claim': 'true', 'id.token.claim': 'false',\n"
        "                   'introspection.token.claim': 'true'}})\n"
        "    admin.add_client_default_client_scope(app, scope, {})\n"
    )

curl_script = os.path.join(WORKDIR, "curl-bulk.sh")
with open(curl_script, "w") as file:
    file.write(
        "set -euo pipefail\n"
        'realm="$1"; count="$2"; base="$SANDBOX_URL"\n'
        'token=$(curl -sS --fail -d grant_type=password -d client_id=admin-cli -d username=admin '
        '--data-urlencode "password=$ADMIN_PASSWORD" "$base/realms/master/protocol/openid-connect/token" '
        "| sed -n 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/p')\n"
        'auth="Authorization: Bearer $token"; json="Content-Type: application/json"\n'
        'app=$(curl -sS --fail -H "$auth" "$base/admin/realms/$realm/clients?clientId=app" '
        "| sed -n 's/^\\[{\"id\":\"\\([^\"]*\\)\".*/\\1/p')\n"
        'for i in $(seq 0 $((count - 1))); do\n'
        '    name=$(printf "aud-%03d" "$i")\n'
        '    scope=$(curl -sS --fail -o /dev/null -D - -H "$auth" -H "$json" '
        '-d "{\\"name\\":\\"$name\\",\\"protocol\\":\\"openid-connect\\"}" "$base/admin/realms/$realm/client-scopes" '
        "| tr -d '\\r' | sed -n 's|^[Ll]ocation: .*/||p')\n"
        '    curl -sS --fail -H "$auth" -H "$json" -d \'{"name":"api audience","protocol":"openid-connect",'
        '"protocolMapper":"oidc-audience-mapper","config":{"included.client.audience":"api","access.token.claim":"true",'
        '"id.token.claim":"false","introspection.token.claim":"true"}}\' '
        '"$base/admin/realms/$realm/client-scopes/$scope/protocol-mappers/models"\n'
        '    curl -sS --fail -X PUT -H "$auth" "$base/admin/realms/$realm/clients/$app/default-client-scopes/$scope"\n'
        "done\n"
    )


def serve_floor(realm):
    """The python-keycloak request sequence replayed over one keep-alive connection: what the sandbox
    alone needs to serve one scope-creating request after another."""
    floor = Connection()
    floor.login()
    _, _, data = floor.request("GET", f"/admin/realms/{realm}/clients?clientId=app", expect=[200])
    app = json.loads(data)[0]["id"]
    for index in range(SCOPES):
        _, response, _ = floor.request(
            "POST", f"/admin/realms/{realm}/client-scopes",
            body={"name": f"aud-{index:03d}", "protocol": "openid-connect"}, expect=[201])
        scope = response.getheader("Location").rsplit("/", 1)[1]
        floor.request(
            "POST", f"/admin/realms/{realm}/client-scopes/{scope}/protocol-mappers/models",
            body={"name": "api audience", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                  "config": {"included.client.audience": "api", "access.token.claim": "true",
                             "id.token.claim": "false", "introspection.token.claim": "true"}},
            expect=[201])
        floor.request("PUT", f"/admin/realms/{realm}/clients/{app}/default-client-scopes/{scope}", expect=[204])
    floor.http.close()


environment = dict(os.environ)
apply_argv = [KCX, "apply", "-f", apply_file, "--auto-approve", "--config", CONFIG]
plan_argv = [KCX, "plan", "-f", apply_file, "--detailed-exitcode", "--config", CONFIG]
bulk_variants = [
    ("kcx apply -f (--parallel 4, the default)", lambda realm: run_command(apply_argv, with_realm(realm)),
     "one process"),
    ("kcx one-liners (audience add --create-scope --assign)", lambda realm: run_command(["bash", kcx_script, realm]),
     f"{SCOPES} processes"),
    ("python-keycloak script", lambda realm: run_command([VENV_PYTHON, python_script, realm, str(SCOPES)], environment),
     "one process, one session"),
    ("curl shell script", lambda realm: run_command(["bash", curl_script, realm, str(SCOPES)], environment),
     f"{3 * SCOPES + 2} curl processes"),
    ("sandbox alone, one keep-alive connection", serve_floor, "python http.client replaying the python-keycloak requests"),
]
bulk = {name: [] for name, _, _ in bulk_variants}
# CPU seconds (user + system) of the client processes: on a machine shared with other work the wall
# clock of 200 or 602 short processes moves with the load; the CPU they use much less.
bulk_cpu = {name: [] for name, _, _ in bulk_variants}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime



bulk_requests = {}
rerun = {"kcx one-liners, second run": [], "kcx plan -f, no changes": [], "kcx apply -f, second run": []}
rerun_requests = {}
for run in range(BULK_RUNS):
    for position, (name, action, _) in enumerate(bulk_variants):
        realm = f"bulk-{position}-{run}"
        cpu_before = children_cpu()
        elapsed, count = timed(lambda: action(realm), setup=lambda: create_realm(realm, clients=base_clients()))
        bulk_cpu[name].append(children_cpu() - cpu_before)
        bulk[name].append(elapsed)
        bulk_requests[name] = count
        if name.startswith("kcx apply"):
            # --detailed-exitcode: exit 0 only when the plan has no changes (8 when it has).
            elapsed, rerun_requests["kcx plan -f, no changes"] = timed(lambda: run_command(plan_argv, with_realm(realm)))
            rerun["kcx plan -f, no changes"].append(elapsed)
            elapsed, rerun_requests["kcx apply -f, second run"] = timed(lambda: run_command(apply_argv, with_realm(realm)))
            rerun["kcx apply -f, second run"].append(elapsed)
        if name.startswith("kcx one-liners"):
            outcomes = []
            elapsed, count = timed(lambda: outcomes.append(run_command(["bash", kcx_script, realm])))
            if "created:" in outcomes[0] or "updated:" in outcomes[0] or outcomes[0].count("unchanged:") != 3 * SCOPES:
                sys.exit(f"the second run of the kcx one-liners changed something:\n{outcomes[0][-400:]}")
            rerun["kcx one-liners, second run"].append(elapsed)
            rerun_requests["kcx one-liners, second run"] = count
        admin.request("DELETE", f"/admin/realms/{realm}", expect=[204])
for name, _, note in bulk_variants:
    rows.append(("3. bulk", name, bulk[name], bulk_requests[name], note))
for name in ("kcx one-liners (audience add --create-scope --assign)", "curl shell script"):
    rows.append(("3. bulk", f"{name}: CPU (user+sys)", bulk_cpu[name], bulk_requests[name], "client processes only"))
for name, note in (("kcx plan -f, no changes", "--detailed-exitcode: exit 0"),
                   ("kcx apply -f, second run", "nothing to apply"),
                   ("kcx one-liners, second run", "every outcome unchanged")):
    rows.append(("4. no-change re-run", name, rerun[name], rerun_requests[name], note))

# 5. Scale ----------------------------------------------------------------------------------------
log(f"scale: a realm with {SCALE_CLIENTS} clients and {SCALE_SCOPES} scopes...")
create_realm(
    "bench-scale",
    clients=[{"clientId": f"client-{index:05d}"} for index in range(SCALE_CLIENTS)],
    scopes=[{"name": f"scope-{index:04d}", "protocol": "openid-connect"} for index in range(SCALE_SCOPES)],
)
create_realm("bench-empty", clients=[{"clientId": f"client-{SCALE_CLIENTS - 1:05d}"}],
             scopes=[{"name": f"scope-{SCALE_SCOPES - 1:04d}", "protocol": "openid-connect"}])
last_client = last_client_name = f"client-{SCALE_CLIENTS - 1:05d}"
last_scope = last_scope_name = f"scope-{SCALE_SCOPES - 1:04d}"
scale_file = os.path.join(WORKDIR, "scale.json")
with open(scale_file, "w") as file:
    json.dump({"realms": [{
        "realm": "${BENCH_REALM}",
        "clientScopes": [{"name": last_scope_name, "protocol": "openid-connect",
                          "audienceMappers": [dict(audience, audience=last_client_name)]}],
        "clients": [{"clientId": last_client_name, "defaultScopes": [last_scope_name]}],
    }]}, file, indent=2)
variants = []
for realm, label in (("bench-empty", "empty realm"), ("bench-scale", f"{SCALE_CLIENTS} clients, {SCALE_SCOPES} scopes")):
    variants.append((f"kcx plan -f (one scope, {label})", [KCX, "plan", "-f", scale_file, "--config", CONFIG], "",
                     with_realm(realm)))
    variants.append((f"kcx get clients -q clientId=… ({label})",
                     [KCX, "get", "clients", "-r", realm, "-q", "clientId=" + last_client, "--config", CONFIG], ""))
    variants.append((f"kcx client-scope get NAME ({label})",
                     [KCX, "client-scope", "get", last_scope, "-r", realm, "--config", CONFIG], ""))
measure_interleaved("5. scale", variants, SCALE_RUNS)
for realm, label in (("bench-empty", "empty realm"), ("bench-scale", "large realm")):
    for name, path in (("GET clients?clientId=", f"/admin/realms/{realm}/clients?clientId={last_client}"),
                       ("GET client-scopes (all)", f"/admin/realms/{realm}/client-scopes")):
        samples = []
        for _ in range(SCALE_RUNS):
            start = time.perf_counter()
            admin.request("GET", path, expect=[200])
            samples.append(time.perf_counter() - start)
        rows.append(("5. scale", f"sandbox alone: {name} ({label})", samples, 1, "one keep-alive connection"))
for realm in ("bench-scale", "bench-empty"):
    admin.request("DELETE", f"/admin/realms/{realm}", expect=[204])

# 6. Throughput -----------------------------------------------------------------------------------
throughput = []
if shutil.which("wrk"):
    log("sandbox throughput...")
    url = BASE + "/admin/realms/master/clients?clientId=admin-cli"
    for connections in (4, 8):
        rates = []
        for _ in range(3):
            output = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", "-d5s", "-H", "Authorization: Bearer " + token, url],
                capture_output=True, text=True, check=True).stdout
            if "Non-2xx" in output:
                sys.exit("wrk saw answers other than 200")
            rates.append(float(next(line.split()[1] for line in output.splitlines() if line.startswith("Requests/sec"))))
        throughput.append((connections, rates))


# 7. Realistic latency ----------------------------------------------------------------------------
# Every admin request waits LATENCY_MS on the server (a sandbox 'delay' fault), as a Keycloak across a
# network or under load does; --parallel N should then keep N requests in flight.
log(f"bulk provisioning at {LATENCY_MS} ms per admin request...")
latency_variants = [(f"kcx apply -f --parallel {workers}, {LATENCY_MS} ms per request",
                     lambda realm, workers=workers: run_command(apply_argv + ["--parallel", str(workers)], with_realm(realm)),
                     "one process") for workers in (1, 4, 16)]
latency_variants.append((f"python-keycloak script, {LATENCY_MS} ms per request",
                         lambda realm: run_command([VENV_PYTHON, python_script, realm, str(SCOPES)], environment),
                         "one process, one session"))
latency = {name: [] for name, _, _ in latency_variants}
latency_requests = {}
for run in range(LATENCY_RUNS):
    for position, (name, action, _) in enumerate(latency_variants):
        realm = f"latency-{position}-{run}"
        create_realm(realm, clients=base_clients())
        control.request("POST", "/_sandbox/faults", body={"method": "*", "path": "/admin/*", "count": 1000000,
                                                         "action": "delay", "delaySeconds": LATENCY_MS / 1000},
                        expect=[201])
        try:
            elapsed, count = timed(lambda: action(realm))
        finally:
            control.request("DELETE", "/_sandbox/faults", expect=[204])
        latency[name].append(elapsed)
        latency_requests[name] = count
        admin.request("DELETE", f"/admin/realms/{realm}", expect=[204])
for name, _, note in latency_variants:
    rows.append(("7. latency", name, latency[name], latency_requests[name], note))


# 8. Requests per imperative command (resolve once) -------------------------------------------------
# Each command on a fresh realm, then again with nothing to change; the no-change counts are the
# targets of "resolve once" (audience add ≤ 4, token-exchange allow ≤ 5).
log("requests per imperative command...")
audience_argv = [KCX, "audience", "add", "--audience", "api", "--scope", "api-access", "--create-scope", "--assign", "app",
                 "--default", "--config", CONFIG, "-r"]
allow_argv = [KCX, "token-exchange", "allow", "--from", "gateway", "--to", "api", "--config", CONFIG, "-r"]
command_variants = [
    ("kcx audience add --create-scope --assign --default, first run", audience_argv, "creates scope, mapper, assignment"),
    ("kcx audience add --create-scope --assign --default, no change", audience_argv, "target ≤ 4 requests"),
    ("kcx token-exchange allow --from gateway --to api, first run", allow_argv,
     "switch, scope, mapper, assignment, then the realm read for other targets opened"),
    ("kcx token-exchange allow --from gateway --to api, no change", allow_argv, "target ≤ 5 requests"),
]
command_samples = {name: [] for name, _, _ in command_variants}
command_requests = {}
for run in range(ONE_LINER_RUNS):
    realm = f"commands-{run}"
    create_realm(realm, clients=base_clients() + [{"clientId": "gateway", "publicClient": False, "secret": "gateway-secret"}])
    for name, argv, _ in command_variants:
        elapsed, count = timed(lambda: run_command(argv + [realm]))
        command_samples[name].append(elapsed)
        if command_requests.setdefault(name, count) != count:
            sys.exit(f"{name}: {count} requests in run {run}, {command_requests[name]} before")
    admin.request("DELETE", f"/admin/realms/{realm}", expect=[204])
for name, _, note in command_variants:
    rows.append(("8. requests per command", name, command_samples[name], command_requests[name], note))

# The table ---------------------------------------------------------------------------------------
def milliseconds(value):
    return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"


def fmt(value):
    return milliseconds(value) if value < 1 else f"{value:.2f} s"


print(f"| section | measurement | median | spread (min–max) | runs | requests | note |")
print("|---|---|---|---|---|---|---|")
medians = {}
for section, name, samples, count, note in rows:
    if not samples:
        print(f"| {section} | {name} | – | – | 0 | – | {note} |")
        continue
    median = statistics.median(samples)
    medians[name] = median
    print(f"| {section} | {name} | {fmt(median)} | {fmt(min(samples))}–{fmt(max(samples))} | {len(samples)} | "
          f"{count if count is not None else '–'} | {note} |")
for connections, rates in throughput:
    print(f"| 6. throughput | admin GETs/s, {connections} keep-alive connections (wrk) | {statistics.median(rates):,.0f}/s | "
          f"{min(rates):,.0f}–{max(rates):,.0f}/s | {len(rates)} | – | GET clients?clientId=admin-cli |")

print()
apply_name = "kcx apply -f (--parallel 4, the default)"
ratio_lines = [
    ("python-keycloak bulk / kcx apply", "python-keycloak script", apply_name, "target ≥ 10"),
    ("curl script / kcx apply", "curl shell script", apply_name, "target ≥ 3"),
    ("kcx apply / sandbox alone", apply_name, "sandbox alone, one keep-alive connection", "target ≤ 1.5"),
    ("kcx --version / curl --version", "kcx --version", "curl --version", "target ≤ 1.5"),
    ("kcx one-liner / curl one-liner", "kcx get clients -q clientId=app", "curl with a token", ""),
    ("python-keycloak one-shot / kcx one-liner", "python-keycloak one-shot", "kcx get clients -q clientId=app", ""),
    ("python-keycloak bulk / kcx one-liners", "python-keycloak script", "kcx one-liners (audience add --create-scope --assign)", ""),
    ("curl script / kcx one-liners", "curl shell script", "kcx one-liners (audience add --create-scope --assign)", "target ≥ 2"),
    ("curl script / kcx one-liners, CPU", "curl shell script: CPU (user+sys)",
     "kcx one-liners (audience add --create-scope --assign): CPU (user+sys)", ""),
    ("kcx one-liners / sandbox alone", "kcx one-liners (audience add --create-scope --assign)",
     "sandbox alone, one keep-alive connection", ""),
    ("python-keycloak bulk / sandbox alone", "python-keycloak script", "sandbox alone, one keep-alive connection", ""),
    (f"apply --parallel 1 / --parallel 16 at {LATENCY_MS} ms", f"kcx apply -f --parallel 1, {LATENCY_MS} ms per request",
     f"kcx apply -f --parallel 16, {LATENCY_MS} ms per request", "target ≥ 8"),
    (f"python-keycloak / apply --parallel 16 at {LATENCY_MS} ms", f"python-keycloak script, {LATENCY_MS} ms per request",
     f"kcx apply -f --parallel 16, {LATENCY_MS} ms per request", ""),
]
print("| ratio of medians | value | target |")
print("|---|---|---|")
for label, top, bottom, target in ratio_lines:
    if top in medians and bottom in medians:
        print(f"| {label} | {medians[top] / medians[bottom]:.2f} | {target} |")
