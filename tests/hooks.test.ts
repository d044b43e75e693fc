/**
 * The generated spawn hooks, run for real: python3 parses them, then tests/python/run_hook.py exec()s them
 * the way z2jh does, against a stand-in identity provider and Vault served on 127.0.0.1.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from "child_process";
import { AddressInfo } from "net";
import { parseFleetConfig, HubSpec } from "../components/config";
import { hubAuthHooks, TOKEN_EXCHANGE_HOOK_KEY, VAULT_HOOK_KEY } from "../components/hooks/hubHooks";
import {
    HOME_DIRECTORY_CONTAINER, HOME_DIRECTORY_HOOK_KEY, homeDirectoryHook, homeDirectoryScript,
} from "../components/hooks/homeDirectory";
import { SPAWN_HOOK_RUNNER, SPAWN_HOOK_RUNNER_KEY, withSpawnHookRunner } from "../components/hooks/spawnHooks";
import { tokenExchangeHook } from "../components/hooks/tokenExchange";
import { vaultUserSecretsHook } from "../components/hooks/vaultHook";

const DRIVER = path.join(__dirname, "python", "run_hook.py");
/** A hook runs in well under a second; on two busy cores python3 alone can take several to start. */
const PYTHON_TIMEOUT_MS = 30000;
const CLIENT_ID = "vre-hub";
const CLIENT_SECRET = "vre-client-secret";
const VAULT_TOKEN = "hvs.stand-in-client-token";

/** An unsigned JWT with `claims`: the hook reads claims only (Vault checks signatures). */
function jwt(claims: Record<string, unknown>): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
}

interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs python3 with `args`, feeding `input`; killed after PYTHON_TIMEOUT_MS. No proxy: the stand-ins are local. */
function python(args: string[], input: string): Promise<RunResult> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|all|no)_proxy$/i.test(k)));
    return new Promise((resolve, reject) => {
        const child = spawn("python3", args, { env: { ...env, NO_PROXY: "127.0.0.1" }, timeout: PYTHON_TIMEOUT_MS });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", chunk => { stdout += chunk; });
        child.stderr.on("data", chunk => { stderr += chunk; });
        child.on("error", reject);
        child.on("close", code => resolve({ code, stdout, stderr }));
        child.stdin.end(input);
    });
}

interface HookOutcome {
    ok: boolean;
    error?: string;
    environment?: Record<string, string>;
    uid?: number | null;
    gid?: number | null;
    initContainers?: any;
    config?: Record<string, unknown>;
}

/** What else the driver's fake authenticator and spawner hold (see tests/python/run_hook.py). */
interface SpawnOptions {
    basicAuth?: boolean;
    spawner?: Record<string, unknown>;
    spawns?: number;
}

/**
 * One python3 running tests/python/run_hook.py for every spawn of this file, answering a request per line.
 * Started on first use and ended in the root `after`; it also exits when its stdin closes with this process.
 */
class HookDriver {
    private child?: ChildProcessWithoutNullStreams;
    private stderr = "";
    private buffered = "";
    private waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];

    request(request: unknown): Promise<string> {
        const child = this.child ?? this.start();
        return new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.stop();
                reject(new Error(`run_hook.py did not answer within ${PYTHON_TIMEOUT_MS} ms:\n${this.stderr}`));
            }, PYTHON_TIMEOUT_MS);
            this.waiting.push({
                resolve: line => { clearTimeout(timer); resolve(line); },
                reject: error => { clearTimeout(timer); reject(error); },
            });
            child.stdin.write(JSON.stringify(request) + "\n");
        });
    }

    stop(): void {
        this.child?.kill();
        this.child = undefined;
    }

    private start(): ChildProcessWithoutNullStreams {
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|all|no)_proxy$/i.test(k)));
        const child = spawn("python3", [DRIVER], { env: { ...env, NO_PROXY: "127.0.0.1" } });
        this.stderr = "";
        this.buffered = "";
        child.stdout.on("data", chunk => {
            this.buffered += chunk;
            let newline: number;
            while ((newline = this.buffered.indexOf("\n")) >= 0) {
                const line = this.buffered.slice(0, newline);
                this.buffered = this.buffered.slice(newline + 1);
                this.waiting.shift()?.resolve(line);
            }
        });
        child.stderr.on("data", chunk => { this.stderr += chunk; });
        const fail = (why: string) => {
            if (this.child === child) this.child = undefined;
            for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(`run_hook.py ${why}:\n${this.stderr}`));
        };
        child.on("error", error => fail(`could not start: ${error.message}`));
        child.on("exit", code => fail(`exited (${code})`));
        this.child = child;
        return child;
    }
}

const hookDriver = new HookDriver();
after(() => hookDriver.stop());

/** Execs `extraConfig` in key order (as z2jh does) and runs the installed pre_spawn_hook for `user`. */
async function spawnWith(extraConfig: Record<string, string>, user: string, authState: unknown, options: SpawnOptions = {}): Promise<HookOutcome> {
    const sources = Object.keys(extraConfig).sort().map(key => extraConfig[key]);
    const answer = await hookDriver.request({ sources, user, authState, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...options });
    return JSON.parse(answer) as HookOutcome;
}

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

/** The stand-in IdP token endpoint and Vault: answers by content, records every request. */
class StandIn {
    readonly seen: Seen[] = [];
    private readonly server = http.createServer((req, res) => {
        let body = "";
        req.on("data", chunk => { body += chunk; });
        req.on("end", () => {
            this.seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
            const [status, answer] = this.answer(req.method ?? "", req.url ?? "", req.headers, body);
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(answer === undefined ? "" : JSON.stringify(answer));
        });
    });

    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    listen(): Promise<void> {
        return new Promise(resolve => this.server.listen(0, "127.0.0.1", resolve));
    }

    close(): Promise<void> {
        this.server.closeAllConnections();
        return new Promise(resolve => this.server.close(() => resolve()));
    }

    requests(urlPrefix: string): Seen[] {
        return this.seen.filter(r => r.url.startsWith(urlPrefix));
    }

    private answer(method: string, url: string, headers: http.IncomingHttpHeaders, body: string): [number, unknown] {
        if (method === "POST" && url === "/token") {
            const form = new URLSearchParams(body);
            if (form.get("subject_token") === "revoked-access-token") {
                return [403, { error: "access_denied", error_description: "token exchange not allowed for this client" }];
            }
            return [200, {
                access_token: `${form.get("audience")}-token-for-${form.get("subject_token")}`,
                issued_token_type: "urn:ietf:params:oauth:token-type:access_token", token_type: "Bearer",
            }];
        }
        if (method === "POST" && url === "/v1/auth/jwt/login") {
            const login = JSON.parse(body) as { role: string; jwt: string };
            if (login.jwt === "id-token-of-mallory") {
                return [403, { errors: ["error validating token: invalid audience (aud) claim"] }];
            }
            return [200, { auth: { client_token: VAULT_TOKEN, policies: ["valeria"], lease_duration: 60 } }];
        }
        if (method === "POST" && url === "/v1/auth/token/revoke-self") {
            return [204, undefined];
        }
        if (method === "GET" && url.startsWith("/v1/valeria/data/users/")) {
            if (headers["x-vault-token"] !== VAULT_TOKEN) return [403, { errors: ["permission denied"] }];
            if (url === "/v1/valeria/data/users/alice/s3") {
                return [200, { data: { data: { access_key: "AKIA-ALICE", secret_key: "alice-secret", uid: 4242, gid: "4200" }, metadata: { version: 3 } } }];
            }
            if (url === "/v1/valeria/data/users/carol/s3") {
                return [200, { data: { data: { access_key: "AKIA-CAROL", secret_key: "carol-secret" }, metadata: { version: 1 } } }];
            }
            if (url === "/v1/valeria/data/users/dave/s3") {
                return [404, { errors: [] }];
            }
            return [403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] }];
        }
        return [404, { errors: [`stand-in has no ${method} ${url}`] }];
    }
}

/** A CERN VRE + Valeria hub: generic OAuth with token exchange, and Vault user secrets. */
function hubUsing(standIn: string): HubSpec {
    const fleet = parseFleetConfig({
        clusters: { onprem: { provider: "kubernetes", context: "onprem", homeStorage: { type: "dynamic", size: "10Gi", storageClass: "homes-retain" } } },
        hubs: {
            vre: {
                cluster: "onprem",
                auth: {
                    type: "oidc", clientId: CLIENT_ID, allowAll: true,
                    authorizeUrl: `${standIn}/authorize`, tokenUrl: `${standIn}/token`, userdataUrl: `${standIn}/userinfo`,
                    tokenExchange: { audience: "rucio", envVar: "RUCIO_ACCESS_TOKEN" },
                },
                userSecrets: { vault: { address: `${standIn}/`, role: "valeria", mount: "valeria", path: "users/{username}/s3" } },
            },
        },
        hubSecrets: { vre: { auth: { clientSecret: CLIENT_SECRET } } },
    }, { stack: "test", secretKeys: ["hubSecrets"] });
    return fleet.hubs.vre;
}

describe("spawn hooks: extraConfig entries", () => {
    it("gives a hub with token exchange and Vault both hooks after the runner, and a plain hub nothing", () => {
        const hub = hubUsing("https://idp.example.org");
        const entries = hubAuthHooks(hub);
        assert.deepStrictEqual(Object.keys(entries).sort(), [SPAWN_HOOK_RUNNER_KEY, VAULT_HOOK_KEY, TOKEN_EXCHANGE_HOOK_KEY]);
        assert.strictEqual(entries[SPAWN_HOOK_RUNNER_KEY], SPAWN_HOOK_RUNNER);
        assert.ok(!Object.values(entries).some(source => source.includes(CLIENT_SECRET)), "the client secret must not be in the source");

        const plain = { ...hub, auth: { ...hub.auth, tokenExchange: undefined }, userSecrets: undefined } as HubSpec;
        assert.deepStrictEqual(hubAuthHooks(plain), {});
    });

    it("adds the runner for any entry that registers a hook (a platform's), and only then", () => {
        const platformHook = { "50-ovh-s3-keys": "fleet_spawn_hooks.append(lambda spawner: None)\n" };
        assert.deepStrictEqual(withSpawnHookRunner(platformHook), { [SPAWN_HOOK_RUNNER_KEY]: SPAWN_HOOK_RUNNER, ...platformHook });
        assert.deepStrictEqual(withSpawnHookRunner({ "10-theme": "c.JupyterHub.template_vars = {}\n" }), { "10-theme": "c.JupyterHub.template_vars = {}\n" });
        assert.deepStrictEqual(withSpawnHookRunner({}), {});
    });

    it("generates Python that python3 parses", async function () {
        this.timeout(PYTHON_TIMEOUT_MS * 2);
        const hub = hubUsing("https://idp.example.org");
        const entries = hubAuthHooks(hub);
        const result = await python(["-c", "import ast, json, sys\nfor name, source in json.load(sys.stdin).items(): ast.parse(source, name)"],
            JSON.stringify(entries));
        assert.strictEqual(result.code, 0, result.stderr);
    });
});

describe("spawn hooks: against a stand-in identity provider and Vault", function () {
    this.timeout(PYTHON_TIMEOUT_MS * 2);
    const standIn = new StandIn();
    let hub: HubSpec;

    before(async () => {
        await standIn.listen();
        hub = hubUsing(standIn.url);
    });
    after(() => standIn.close());

    const tokenExchangeOnly = () => {
        if (hub.auth.type !== "oidc" || !hub.auth.tokenExchange) throw new Error("fixture hub lost its token exchange");
        return withSpawnHookRunner({ [TOKEN_EXCHANGE_HOOK_KEY]: tokenExchangeHook(hub.auth.tokenExchange, hub.auth.tokenUrl) });
    };
    const vaultOnly = () => withSpawnHookRunner({ [VAULT_HOOK_KEY]: vaultUserSecretsHook(hub.userSecrets!.vault) });

    it("exchanges the user's access token (RFC 8693) and sets RUCIO_ACCESS_TOKEN", async () => {
        standIn.seen.length = 0;
        const outcome = await spawnWith(tokenExchangeOnly(), "alice", { access_token: "alice-access-token", id_token: "alice-id-token" });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(outcome.environment, { RUCIO_ACCESS_TOKEN: "rucio-token-for-alice-access-token" });
        assert.strictEqual(outcome.config?.["Authenticator.refresh_pre_spawn"], true);

        const [request] = standIn.requests("/token");
        assert.strictEqual(request.headers["content-type"], "application/x-www-form-urlencoded");
        assert.strictEqual(request.headers.authorization, undefined, "basic_auth is off: the credentials are in the form");
        assert.deepStrictEqual(Object.fromEntries(new URLSearchParams(request.body)), {
            grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
            subject_token: "alice-access-token",
            subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
            audience: "rucio",
            scope: "openid profile",
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
        });
    });

    it("presents the client credentials as HTTP Basic, not in the form, when the authenticator's basic_auth is on", async () => {
        standIn.seen.length = 0;
        const outcome = await spawnWith(tokenExchangeOnly(), "alice", { access_token: "alice-access-token" }, { basicAuth: true });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(outcome.environment, { RUCIO_ACCESS_TOKEN: "rucio-token-for-alice-access-token" });
        const [request] = standIn.requests("/token");
        // As oauthenticator 17.4.0 oauth2.py build_token_info_request_headers: base64 of "<client_id>:<client_secret>".
        assert.strictEqual(request.headers.authorization, `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`);
        const form = new URLSearchParams(request.body);
        assert.ok(!form.has("client_id") && !form.has("client_secret"), "no credentials in the form with basic_auth");
        assert.strictEqual(form.get("subject_token"), "alice-access-token");
    });

    it("fails the spawn naming the identity provider's refusal, without the token", async () => {
        const outcome = await spawnWith(tokenExchangeOnly(), "alice", { access_token: "revoked-access-token" });
        assert.strictEqual(outcome.ok, false);
        assert.match(outcome.error!, /identity provider at http:\/\/127\.0\.0\.1:\d+\/token refused to exchange alice's token for a rucio token: HTTP 403 \(access_denied: token exchange not allowed for this client\)/);
        assert.ok(!outcome.error!.includes("revoked-access-token") && !outcome.error!.includes(CLIENT_SECRET));
    });

    it("fails the spawn clearly when the user has no auth_state", async () => {
        const outcome = await spawnWith(tokenExchangeOnly(), "alice", null);
        assert.strictEqual(outcome.ok, false);
        assert.match(outcome.error!, /No access token is stored for alice, so no rucio token can be obtained: log out and log in again/);
    });

    it("logs into Vault with the user's id token, reads their KV v2 secret, sets S3 keys and uid/gid, revokes the token", async () => {
        standIn.seen.length = 0;
        const outcome = await spawnWith(vaultOnly(), "alice", { access_token: "alice-access-token", id_token: "alice-id-token" });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(outcome.environment, { AWS_ACCESS_KEY_ID: "AKIA-ALICE", AWS_SECRET_ACCESS_KEY: "alice-secret" });
        assert.strictEqual(outcome.uid, 4242);
        assert.strictEqual(outcome.gid, 4200);

        assert.deepStrictEqual(standIn.seen.map(r => `${r.method} ${r.url}`), [
            "POST /v1/auth/jwt/login", "GET /v1/valeria/data/users/alice/s3", "POST /v1/auth/token/revoke-self",
        ]);
        assert.deepStrictEqual(JSON.parse(standIn.seen[0].body), { role: "valeria", jwt: "alice-id-token" });
        assert.strictEqual(standIn.seen[1].headers["x-vault-token"], VAULT_TOKEN);
        assert.strictEqual(standIn.seen[2].headers["x-vault-token"], VAULT_TOKEN);
    });

    it("has the hub refresh the user's tokens before a Vault spawn", async () => {
        const outcome = await spawnWith(vaultOnly(), "carol", { access_token: "carol-access-token" });
        assert.ok(outcome.ok, outcome.error);
        assert.strictEqual(outcome.config?.["Authenticator.refresh_pre_spawn"], true);
    });

    it("sends Vault an id token that has not expired", async () => {
        standIn.seen.length = 0;
        const idToken = jwt({ sub: "alice", aud: CLIENT_ID, exp: Math.floor(Date.now() / 1000) + 300 });
        const outcome = await spawnWith(vaultOnly(), "alice", { access_token: "alice-access-token", id_token: idToken });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(JSON.parse(standIn.requests("/v1/auth/jwt/login")[0].body), { role: "valeria", jwt: idToken });
    });

    it("fails the spawn on an expired login token before calling Vault, saying to log in again", async () => {
        standIn.seen.length = 0;
        const expired = jwt({ sub: "alice", aud: CLIENT_ID, exp: Math.floor(Date.now() / 1000) - 60 });
        const outcome = await spawnWith(vaultOnly(), "alice", { access_token: "alice-access-token", id_token: expired });
        assert.strictEqual(outcome.ok, false);
        assert.match(outcome.error!, /^RuntimeError: alice's id token from their login expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC and was not renewed before this spawn, so Vault would refuse it: log out and log in again$/);
        assert.ok(!outcome.error!.includes(expired));
        assert.deepStrictEqual(standIn.seen, [], "Vault is not asked");

        const accessOnly = await spawnWith(vaultOnly(), "alice", { access_token: jwt({ sub: "alice", exp: 1 }) });
        assert.match(accessOnly.error!, /alice's access token from their login expired at 1970-01-01 00:00:01 UTC/);
    });

    it("keeps the default uid when the secret has none", async () => {
        const outcome = await spawnWith(vaultOnly(), "carol", { access_token: "carol-access-token" });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(outcome.environment, { AWS_ACCESS_KEY_ID: "AKIA-CAROL", AWS_SECRET_ACCESS_KEY: "carol-secret" });
        assert.strictEqual(outcome.uid, null);
    });

    it("fails the spawn with Vault's status and the secret path when Vault refuses the read, without the token", async () => {
        standIn.seen.length = 0;
        const outcome = await spawnWith(vaultOnly(), "bob", { id_token: "bob-id-token" });
        assert.strictEqual(outcome.ok, false);
        assert.match(outcome.error!, /Vault at http:\/\/127\.0\.0\.1:\d+ refused reading valeria\/data\/users\/bob\/s3 for bob: HTTP 403 \(.*permission denied/s);
        assert.ok(!outcome.error!.includes(VAULT_TOKEN) && !outcome.error!.includes("bob-id-token"));
        assert.ok(standIn.requests("/v1/auth/token/revoke-self").length === 1, "the Vault token is revoked even when the read fails");
    });

    it("fails the spawn naming the role when Vault refuses the login", async () => {
        const outcome = await spawnWith(vaultOnly(), "mallory", { id_token: "id-token-of-mallory" });
        assert.strictEqual(outcome.ok, false);
        assert.match(outcome.error!, /Vault at .* refused to log mallory in with role valeria at auth\/jwt\/login: HTTP 403 \(error validating token: invalid audience/);
    });

    it("tells the operator where to store a user's secret when Vault has none", async () => {
        const outcome = await spawnWith(vaultOnly(), "dave", { id_token: "dave-id-token" });
        assert.strictEqual(outcome.ok, false);
        assert.match(outcome.error!, /Vault has no secret at valeria\/data\/users\/dave\/s3 for dave: store their S3 keys there \(access_key, secret_key; optionally uid, gid\)/);
    });

    it("runs both hooks of a hub in order through the runner", async () => {
        const outcome = await spawnWith(hubAuthHooks(hub), "alice", { access_token: "alice-access-token", id_token: "alice-id-token" });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(outcome.environment, {
            AWS_ACCESS_KEY_ID: "AKIA-ALICE", AWS_SECRET_ACCESS_KEY: "alice-secret",
            RUCIO_ACCESS_TOKEN: "rucio-token-for-alice-access-token",
        });
        assert.strictEqual(outcome.uid, 4242);
    });

    it("creates a new NFS home as the uid and gid Vault gives the user", async () => {
        const extraConfig = withSpawnHookRunner({ [VAULT_HOOK_KEY]: vaultUserSecretsHook(hub.userSecrets!.vault), [HOME_DIRECTORY_HOOK_KEY]: HOME_HOOK });
        const outcome = await spawnWith(extraConfig, "alice", { id_token: "alice-id-token" }, { spawner: z2jhSpawner() });
        assert.ok(outcome.ok, outcome.error);
        const [container] = outcome.initContainers;
        assert.strictEqual(container.securityContext.runAsUser, 4242);
        assert.strictEqual(container.securityContext.runAsGroup, 4200);
    });
});

/** The home hook as the kubernetes platform generates it for an NFS export. */
const HOME_ARGS = { server: "nfs.valeria.example.org", path: "/export/homes/", fsGid: 100 };
const HOME_HOOK = homeDirectoryHook(HOME_ARGS);

/**
 * A spawner as z2jh 4.4.0 configures it for static homes (files/hub/jupyterhub_config.py: volume_mounts
 * `{"home": {mountPath, name: "home", subPath}}`, singleuser.uid 1000 and fsGid 100, no gid).
 */
function z2jhSpawner(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        uid: 1000, gid: null, fs_gid: 100, init_containers: [],
        volume_mounts: { home: { mountPath: "/home/jovyan", name: "home", subPath: "valeria/{escaped_username}" } },
        ...overrides,
    };
}

/**
 * KubeSpawner formats every string of an init container with `template.format(**ns)` (kubespawner 7.1.0
 * spawner.py `_expand_all`, `_expand_user_properties`): any brace but a known placeholder fails the spawn.
 */
function assertKubeSpawnerFormats(value: unknown): void {
    if (typeof value === "string") {
        assert.ok(!/[{}]/.test(value.replace(/\{escaped_username\}/g, "")), `str.format would fail on: ${value}`);
    } else if (Array.isArray(value)) {
        value.forEach(assertKubeSpawnerFormats);
    } else if (value && typeof value === "object") {
        Object.values(value).forEach(assertKubeSpawnerFormats);
    }
}

describe("spawn hooks: new home directories on NFS", function () {
    this.timeout(PYTHON_TIMEOUT_MS * 2);
    const hook = withSpawnHookRunner({ [HOME_DIRECTORY_HOOK_KEY]: HOME_HOOK });

    it("adds an init container that creates the home as the user, in the hub's directory, keeping other init containers", async () => {
        const other = { name: "theme", image: "busybox:1.36", command: ["true"] };
        const outcome = await spawnWith(hook, "alice", null, { spawner: z2jhSpawner({ init_containers: [other] }) });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(outcome.initContainers, [other, {
            name: HOME_DIRECTORY_CONTAINER,
            image: "busybox:1.36",
            command: ["sh", "-c", homeDirectoryScript(HOME_ARGS)],
            env: [{ name: "HOME_DIRECTORY", value: "{escaped_username}" }, { name: "HUB_DIRECTORY", value: "valeria" }],
            securityContext: {
                runAsUser: 1000, runAsGroup: 100, runAsNonRoot: true, allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
            },
            // The hub's directory, not the user's: mounting a missing subPath would have kubelet create it as root.
            volumeMounts: [{ name: "home", mountPath: "/fleet-hub-homes", subPath: "valeria" }],
        }]);
        assertKubeSpawnerFormats(outcome.initContainers[1]);
    });

    it("replaces its container on a respawn instead of adding another, and keeps a dict of init containers a dict", async () => {
        const twice = await spawnWith(hook, "alice", null, { spawner: z2jhSpawner(), spawns: 2 });
        assert.deepStrictEqual(twice.initContainers.map((c: { name: string }) => c.name), [HOME_DIRECTORY_CONTAINER]);
        const keyed = await spawnWith(hook, "alice", null, { spawner: z2jhSpawner({ init_containers: { a: { name: "a", image: "x" } } }) });
        assert.deepStrictEqual(Object.keys(keyed.initContainers).sort(), ["a", HOME_DIRECTORY_CONTAINER]);
    });

    it("adds nothing when the server's home is not a directory of the export", async () => {
        const dynamic = { "volume-{username}": { mountPath: "/home/jovyan", name: "volume-{username}" } };
        const outcome = await spawnWith(hook, "alice", null, { spawner: z2jhSpawner({ volume_mounts: dynamic }) });
        assert.ok(outcome.ok, outcome.error);
        assert.deepStrictEqual(outcome.initContainers, []);
    });

    it("never creates a home as root", async () => {
        const outcome = await spawnWith(hook, "alice", null, { spawner: z2jhSpawner({ uid: 0 }) });
        assert.strictEqual(outcome.ok, false);
        assert.match(outcome.error!, /alice's server would run as uid 0: a home directory is created as the user, never as root/);
    });

    it("creates a missing home, leaves an existing one as it is, and tells the operator what to fix", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-homes-"));
        try {
            // kubelet mounts the hub's directory at the container's mount point; here, a temporary directory.
            const script = homeDirectoryScript(HOME_ARGS).replace("/fleet-hub-homes", root);
            const run = (home: string) => spawnSync("sh", ["-c", script], { env: { PATH: process.env.PATH, HOME_DIRECTORY: home, HUB_DIRECTORY: "valeria" }, encoding: "utf8" });

            assert.strictEqual(run("alice").status, 0);
            assert.ok(fs.statSync(path.join(root, "alice")).isDirectory());

            fs.mkdirSync(path.join(root, "bob"), { mode: 0o700 });
            fs.writeFileSync(path.join(root, "bob", "notes.txt"), "kept");
            const before = fs.statSync(path.join(root, "bob"));
            assert.strictEqual(run("bob").status, 0);
            const after = fs.statSync(path.join(root, "bob"));
            assert.deepStrictEqual([after.mode, after.uid, after.gid], [before.mode, before.uid, before.gid]);
            assert.strictEqual(fs.readFileSync(path.join(root, "bob", "notes.txt"), "utf8"), "kept");

            // Anything mkdir cannot do fails the container (for a user: a hub directory they may not write).
            fs.writeFileSync(path.join(root, "carol"), "");
            const failed = run("carol");
            assert.strictEqual(failed.status, 1);
            assert.match(failed.stderr, /^jupyterhub-fleet: uid \d+ cannot create its home directory carol in \/export\/homes\/valeria on nfs\.valeria\.example\.org\. Make that directory writable by the users, on the server: chgrp 100 \/export\/homes\/valeria && chmod 1775 \/export\/homes\/valeria/m);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
