/**
 * The generated spawn hooks, run for real: python3 parses them, then tests/python/run_hook.py exec()s them
 * the way z2jh does, against a stand-in identity provider and Vault served on 127.0.0.1.
 */
import * as assert from "assert";
import * as http from "http";
import * as path from "path";
import { spawn } from "child_process";
import { AddressInfo } from "net";
import { parseFleetConfig, HubSpec } from "../components/config";
import { hubAuthHooks, TOKEN_EXCHANGE_HOOK_KEY, VAULT_HOOK_KEY } from "../components/hooks/hubHooks";
import { SPAWN_HOOK_RUNNER, SPAWN_HOOK_RUNNER_KEY, withSpawnHookRunner } from "../components/hooks/spawnHooks";
import { tokenExchangeHook } from "../components/hooks/tokenExchange";
import { vaultUserSecretsHook } from "../components/hooks/vaultHook";

const DRIVER = path.join(__dirname, "python", "run_hook.py");
/** A hook runs in well under a second; on two busy cores python3 alone can take several to start. */
const PYTHON_TIMEOUT_MS = 30000;
const CLIENT_ID = "vre-hub";
const CLIENT_SECRET = "vre-client-secret";
const VAULT_TOKEN = "hvs.stand-in-client-token";

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
    config?: Record<string, unknown>;
}

/** Execs `extraConfig` in key order (as z2jh does) and runs the installed pre_spawn_hook for `user`. */
async function spawnWith(extraConfig: Record<string, string>, user: string, authState: unknown): Promise<HookOutcome> {
    const sources = Object.keys(extraConfig).sort().map(key => extraConfig[key]);
    const result = await python([DRIVER], JSON.stringify({ sources, user, authState, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }));
    assert.strictEqual(result.code, 0, `driver failed (${result.code}):\n${result.stderr}`);
    return JSON.parse(result.stdout) as HookOutcome;
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
});
