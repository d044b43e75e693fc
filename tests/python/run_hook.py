"""Runs generated hub.extraConfig snippets the way z2jh does, against a fake spawner, and reports the result.

Reads one JSON document on stdin:
  {"sources": [python source, ...],          # exec()d in order in one namespace, like z2jh's extraConfig
   "user": "alice",
   "authState": {...} | null,                # what user.get_auth_state() returns
   "clientId": "...", "clientSecret": "..."} # the authenticator's OAuth client
and prints one JSON document on stdout:
  {"ok": true, "environment": {...}, "uid": ..., "gid": ..., "config": {"Section.trait": value, ...}}
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
    def __init__(self, client_id, client_secret):
        self.client_id = client_id
        self.client_secret = client_secret


class FakeSpawner:
    def __init__(self, user, authenticator):
        self.user = user
        self.authenticator = authenticator
        self.environment = {}
        self.uid = None
        self.gid = None
        self.log = logging.getLogger("spawner")


def main():
    request = json.load(sys.stdin)
    c = FakeConfig()
    namespace = {"c": c}
    for source in request["sources"]:
        exec(compile(source, "<extraConfig>", "exec"), namespace)
    spawner = FakeSpawner(
        FakeUser(request["user"], request.get("authState")),
        FakeAuthenticator(request.get("clientId"), request.get("clientSecret")),
    )
    hook = c.Spawner.pre_spawn_hook
    try:
        asyncio.run(hook(spawner))
    except Exception as error:  # the hub shows the user the exception's message; report it the same way
        print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"}))
        return
    config = {k: v for k, v in c.recorded.items() if k != "Spawner.pre_spawn_hook"}
    print(json.dumps({"ok": True, "environment": spawner.environment, "uid": spawner.uid, "gid": spawner.gid, "config": config}))


if __name__ == "__main__":
    main()
