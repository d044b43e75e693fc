"""Runs generated hub.extraConfig snippets the way z2jh does, against a fake spawner, and reports the result.

Serves requests one per line on stdin, answering each with one line on stdout (one python3 for the whole test
file: starting python3 per case was most of the suite's python time on a busy machine). Each request runs in a
fresh namespace, as a new hub would exec its extraConfig. A request:
  {"sources": [python source, ...],          # exec()d in order in one namespace, like z2jh's extraConfig
   "user": "alice",
   "authState": {...} | null,                # what user.get_auth_state() returns
   "clientId": "...", "clientSecret": "...", # the authenticator's OAuth client
   "basicAuth": false,                       # optional: the authenticator's basic_auth
   "spawns": 1,                              # optional: how many times the hook runs on the same spawner
   "spawner": {"uid": 1000, "gid": null, "fs_gid": 100,   # optional: the spawner's settings as z2jh
               "volume_mounts": {...}, "init_containers": [...]}}   # makes them (jupyterhub_config.py)
and its answer:
  {"ok": true, "environment": {...}, "uid": ..., "gid": ..., "initContainers": [...] | {...},
   "config": {"Section.trait": value, ...}}
  {"ok": false, "error": "<exception type>: <message>"}
"""
import asyncio
import json
import logging
import sys


class FakeSection:
    """One traitlets config section, e.g. c.Spawner: remembers what was set on it."""

    def __init__(self, name, recorded):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_recorded", recorded)

    def __setattr__(self, trait, value):
        self._recorded[f"{self._name}.{trait}"] = value

    def __getattr__(self, trait):
        return self._recorded[f"{self._name}.{trait}"]


class FakeConfig:
    """jupyterhub_config.py's `c`: any section exists on first use."""

    def __init__(self):
        self.recorded = {}

    def __getattr__(self, section):
        return FakeSection(section, self.recorded)


class FakeUser:
    def __init__(self, name, auth_state):
        self.name = name
        self._auth_state = auth_state

    async def get_auth_state(self):
        return self._auth_state


class FakeAuthenticator:
    def __init__(self, client_id, client_secret, basic_auth):
        self.client_id = client_id
        self.client_secret = client_secret
        self.basic_auth = basic_auth


class FakeSpawner:
    def __init__(self, user, authenticator, settings):
        self.user = user
        self.authenticator = authenticator
        self.environment = {}
        self.uid = settings.get("uid")
        self.gid = settings.get("gid")
        self.fs_gid = settings.get("fs_gid")
        self.volume_mounts = settings.get("volume_mounts", {})
        self.init_containers = settings.get("init_containers", [])
        self.log = logging.getLogger("spawner")


def run(request):
    c = FakeConfig()
    namespace = {"c": c}
    for source in request["sources"]:
        exec(compile(source, "<extraConfig>", "exec"), namespace)
    spawner = FakeSpawner(
        FakeUser(request["user"], request.get("authState")),
        FakeAuthenticator(request.get("clientId"), request.get("clientSecret"), request.get("basicAuth", False)),
        request.get("spawner", {}),
    )
    hook = c.Spawner.pre_spawn_hook
    spawns = request.get("spawns", 1)
    try:
        for _ in range(spawns):
            asyncio.run(hook(spawner))
    except Exception as error:  # the hub shows the user the exception's message; report it the same way
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    config = {k: v for k, v in c.recorded.items() if k != "Spawner.pre_spawn_hook"}
    return {
        "ok": True, "environment": spawner.environment, "uid": spawner.uid, "gid": spawner.gid,
        "initContainers": spawner.init_containers, "config": config,
    }


def main():
    answers = sys.stdout
    # Anything a hook prints goes to stderr, so stdout carries only answers.
    sys.stdout = sys.stderr
    for line in sys.stdin:
        answers.write(json.dumps(run(json.loads(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
