/**
 * Every kind of hub the seeds run, from config to values: public (ephemeral) hubs, shared-password workshops,
 * CILogon institutions, GitHub teams, hubs without storage, and secrets every hub shares. Bad input is refused
 * with its key path and a fix; good input becomes values the z2jh 4.4.0 schema accepts.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import Ajv from "ajv";
import { HubSpec, parseFleetConfig } from "../components/config";
import { GITHUB_TEAM_GROUPS } from "../components/hooks/githubTeams";
import { hubAuthHooks } from "../components/hooks/hubHooks";
import { composeSecretValues, composeValues, ValuesInput } from "../components/z2jhValues";
import { assertChartAccepts } from "./chartSchema";
import { expectExactly, expectProblem, fleetWith, problemsOf } from "./configProblems";
import { awsFleet } from "./fixtures";

const CILOGON_IDP = "https://idp.example.edu/idp/shibboleth";
const WORKSHOP_PASSWORD = "workshop-password";
const ADMIN_PASSWORD = "an-admin-password-of-at-least-32-characters";

/** Raw hub entries for each auth type, on the fixture's AWS cluster uw2 (EFS homes). */
const HUBS: Record<string, Record<string, unknown>> = {
    pub: { cluster: "uw2", domain: "tess.example.org", contactEmail: "ops@example.org", auth: { type: "ephemeral" }, defaultUrl: "/lab" },
    workshop: {
        cluster: "uw2", domain: "workshop.example.org", contactEmail: "ops@example.org",
        auth: { type: "shared-password", adminUsers: ["instructor"] }, storage: "none",
        defaultUrl: "/git-pull?repo=https%3A%2F%2Fgithub.com%2Fexample-org%2Fworkshop&urlpath=lab%2Ftree%2Fworkshop",
    },
    campus: {
        cluster: "uw2", domain: "campus.example.org", contactEmail: "ops@example.org",
        auth: {
            type: "cilogon", clientId: "cilogon:/client_id/abc", adminUsers: ["alice"],
            allowedIdps: { [CILOGON_IDP]: { usernameDerivation: { usernameClaim: "eppn", stripDomain: "example.edu" }, allowedDomains: ["example.edu"] } },
        },
    },
};
const SECRETS: Record<string, Record<string, unknown>> = {
    workshop: { auth: { password: WORKSHOP_PASSWORD, adminPassword: ADMIN_PASSWORD } },
    campus: { auth: { clientSecret: "cilogon-client-secret" } },
};

/**
 * The fixture fleet plus the hubs named, each with its secrets; `mutate` edits the raw config last. The fixture's
 * hubDefaults.values.cull would override a public hub's culling (refused below), so it goes.
 */
function fleetOf(keys: string[], mutate: (fleet: any) => void = () => undefined): any {
    return fleetWith(f => {
        delete f.hubDefaults.values;
        for (const key of keys) {
            f.hubs[key] = structuredClone(HUBS[key]);
            if (SECRETS[key]) f.hubSecrets[key] = structuredClone(SECRETS[key]);
        }
        mutate(f);
    });
}

function parsed(keys: string[], mutate?: (fleet: any) => void) {
    return parseFleetConfig(fleetOf(keys, mutate), { stack: "staging", secretKeys: ["hubSecrets"] });
}

function valuesInput(hubKey: string, hub: HubSpec): ValuesInput {
    return {
        hubKey, hub, home: hub.storage === "none" ? { type: "none" } : { type: "static", pvcName: "home", subPath: "{escaped_username}", fixOwnership: false },
        platformEnv: {}, cloudMetadata: "block", userVolumes: [], hubExtraConfig: hubAuthHooks(hub), dedicatedNodePools: true,
    };
}

const GENERATED = { cookieSecret: "a".repeat(64), proxySecretToken: "b".repeat(64), cryptKey: "c".repeat(64) };

/** Public and secret values of one hub of the fleet, as the Hub composes them. */
function valuesOf(fleet: ReturnType<typeof parsed>, key: string): { values: any; secret: any } {
    const hub = fleet.hubs[key];
    const secrets = fleet.hubSecrets[key];
    return {
        values: composeValues(valuesInput(key, hub)),
        secret: composeSecretValues({
            hub, ...GENERATED, clientSecret: secrets?.auth?.clientSecret, password: secrets?.auth?.password,
            adminPassword: secrets?.auth?.adminPassword, values: secrets?.values,
        }),
    };
}

/**
 * oauthenticator 17.4's own schema for each entry of `CILogonOAuthenticator.idps`
 * (`oauthenticator/schemas/cilogon-schema.yaml`), which `_validate_idps` applies at hub start.
 */
const validateIdp = new Ajv({ strict: false, allErrors: true }).compile({
    type: "object", additionalProperties: false, required: ["username_derivation"],
    properties: {
        allow_all: { type: "boolean" }, allowed_domains: { type: "array", items: { type: "string" } },
        allowed_domains_claim: { type: "string" }, default: { type: "boolean" },
        username_derivation: {
            type: "object", additionalProperties: false, required: ["username_claim"],
            properties: {
                username_claim: { type: "string" }, action: { type: "string", enum: ["strip_idp_domain", "prefix"] },
                domain: { type: "string" }, prefix: { type: "string" },
            },
            allOf: [
                { if: { properties: { action: { const: "strip_idp_domain" } }, required: ["action"] }, then: { required: ["domain"] } },
                { if: { properties: { action: { const: "prefix" } }, required: ["action"] }, then: { required: ["prefix"] } },
            ],
        },
    },
});

describe("auth: public (ephemeral) hubs", () => {
    it("default to no storage, aggressive culling and a per-user cap", () => {
        const hub = parsed(["pub"]).hubs.pub;
        assert.strictEqual(hub.storage, "none");
        assert.deepStrictEqual(hub.culling, { idleTimeoutMinutes: 10, maxAgeMinutes: 240 });
        assert.deepStrictEqual(hub.userResources, { cpu: { limit: 1 }, memory: { guarantee: "1G", limit: "2G" } });
        // Hubs with logins keep their homes and the hour-long idle timeout.
        assert.deepStrictEqual([parsed([]).hubs.staging.storage, parsed([]).hubs.staging.culling], ["home", { idleTimeoutMinutes: 60 }]);
    });

    it("become tmpauthenticator values with no home, a culler that removes users, limits and https, which the chart accepts", () => {
        const { values, secret } = valuesOf(parsed(["pub"]), "pub");
        assert.deepStrictEqual(values.hub.config.JupyterHub, { authenticator_class: "tmp" });
        // TmpAuthenticator defaults allow_all to true; the fleet says it, so no Authenticator-wide false shuts the hub.
        assert.deepStrictEqual(values.hub.config.Authenticator, { allow_all: true });
        assert.deepStrictEqual(Object.keys(values.hub.config).sort(), ["Authenticator", "JupyterHub"]);
        assert.deepStrictEqual(values.singleuser.storage, { type: "none" });
        assert.strictEqual(values.singleuser.initContainers, undefined);
        assert.deepStrictEqual(values.cull, { enabled: true, timeout: 600, every: 60, maxAge: 14400, users: true });
        assert.deepStrictEqual([values.singleuser.cpu, values.singleuser.memory], [{ limit: 1 }, { guarantee: "1G", limit: "2G" }]);
        assert.strictEqual(values.singleuser.defaultUrl, "/lab");
        assert.deepStrictEqual(values.proxy.https.hosts, ["tess.example.org"]);
        assert.deepStrictEqual(Object.keys(secret.hub.config), ["CryptKeeper"]);
        assertChartAccepts("an ephemeral hub's values", values, secret);
    });

    it("take culling and resources from config, within a public hub's bounds", () => {
        const hub = parsed(["pub"], f => {
            f.hubs.pub.culling = { idleTimeoutMinutes: 30 };
            f.hubs.pub.userResources = { cpu: { limit: 2 } };
        }).hubs.pub;
        assert.deepStrictEqual(hub.culling, { idleTimeoutMinutes: 30, maxAgeMinutes: 240 });
        assert.deepStrictEqual(hub.userResources, { cpu: { limit: 2 }, memory: { guarantee: "1G", limit: "2G" } });
    });

    it("refuse what would reach every visitor, each at its key path with a fix", () => {
        const problems = problemsOf(fleetOf(["pub"], f => {
            Object.assign(f.hubs.pub, {
                cloudAccess: { bucketAdminAccess: ["scratch"] }, bucketEnv: { SCRATCH_BUCKET: "scratch" }, storage: "home",
                culling: { idleTimeoutMinutes: 120, maxAgeMinutes: 2880 },
                values: { cull: { maxAge: 0 }, singleuser: { storage: { type: "dynamic" }, memory: { limit: "64G" } } },
            });
            delete f.hubs.pub.domain;
        }));
        expectExactly(problems,
            "hubs.pub.cloudAccess: grants the hub's cloud identity, and a public (ephemeral) hub gives it to every visitor " +
            "(remove it; run buckets for known users on a hub with logins)",
            "hubs.pub.bucketEnv: hands out bucket locations, and a public (ephemeral) hub gives it to every visitor (remove it)",
            "hubs.pub.storage: keeps home directories, but a public hub's users are temporary and nobody could ever reach theirs again " +
            "(remove storage (a public hub defaults to none), or use auth.type shared-password for a workshop that keeps homes)",
            "hubs.pub.domain: missing: a public hub must be served over https, and the fleet serves https on the hub's domain " +
            "(add domain (and contactEmail) here)",
            "hubs.pub.culling.idleTimeoutMinutes: is 120, over a public hub's 60 " +
            "(lower it (the default is 10), or check that hubDefaults.culling does not set it for every hub)",
            "hubs.pub.culling.maxAgeMinutes: is 2880, over a public hub's 1440 (a day) (lower it (the default is 240); longer sessions want a hub with logins)",
            ...[["cull", "culling"], ["singleuser.storage.type", "storage"], ["singleuser.memory", "userResources.memory"]].map(([path, field]) =>
                `hubs.pub.values.${path}: overrides what keeps a public hub's servers short-lived, capped and without storage ` +
                `(remove it from hubs.pub.values (or hubDefaults.values) and set ${field} on the hub instead)`),
        );
    });

    it("are refused on a cluster whose access groups hand out S3 keys", () => {
        const problems = problemsOf(fleetOf(["pub"], f => {
            f.clusters.mks = {
                provider: "ovh", serviceName: "5f3c0e2b9a7d4c1e8b6a2f0d9c8e7b6a", region: "GRA11", s3: { region: "gra" },
                kubernetesVersion: "1.35", network: { vlanId: 12, cidr: "10.0.0.0/16" },
                nodePools: { core: { machineType: "b3-8", minNodes: 1, maxNodes: 2 }, user: { machineType: "r3-32", minNodes: 0, maxNodes: 4 } },
                buckets: { data: {} }, accessGroups: { default: { read: ["data"] } },
            };
            f.hubs.pub.cluster = "mks";
        }));
        expectProblem(problems, /^hubs\.pub\.cluster: cluster mks has accessGroups, whose default group's S3 keys reach every user of its hubs, .* \(run the public hub on a cluster without accessGroups\)$/);
    });

    it("are refused on an existing cluster whose mounts and private egress every hub's users get", () => {
        const problems = problemsOf(fleetOf(["pub"], f => {
            f.clusters.lab = {
                provider: "kubernetes", context: "lab", homeStorage: { type: "nfs", server: "nfs.example.org", path: "/homes" },
                extraMounts: [{ name: "scratch", server: "nfs.example.org", path: "/scratch", mountPath: "/scratch" }], privateEgress: ["10.20.0.5/32"],
            };
            f.hubs.pub.cluster = "lab";
        }));
        expectExactly(problems,
            "hubs.pub.cluster: cluster lab mounts its extraMounts (scratch) into every hub's user servers, and a public (ephemeral) hub " +
            "gives it to every visitor (run the public hub on a cluster without extraMounts)",
            "hubs.pub.cluster: cluster lab lets every hub's users reach private addresses (privateEgress), and a public (ephemeral) hub " +
            "gives it to every visitor (run the public hub on a cluster without privateEgress)");
    });

    it("do not inherit another auth type's fields from hubDefaults.auth", () => {
        const fleet = parsed(["pub", "workshop"], f => {
            f.hubDefaults.auth = { type: "github", clientId: "Iv1.shared", allowedOrganizations: ["example-org"] };
            f.hubs.staging.auth = { adminUsers: ["alice"] };
        });
        assert.deepStrictEqual([fleet.hubs.pub.auth, fleet.hubs.workshop.auth], [{ type: "ephemeral" }, { type: "shared-password", adminUsers: ["instructor"] }]);
        // A hub of the defaults' type, or one naming no type, still merges them.
        assert.deepStrictEqual(fleet.hubs.staging.auth, {
            type: "github", clientId: "Iv1.shared", allowedOrganizations: ["example-org"], adminUsers: ["alice"], allowAll: false,
        });
    });

    it("need no domain on a local cluster", () => {
        const fleet = parseFleetConfig(fleetOf(["pub"], f => {
            f.clusters.laptop = { provider: "kubernetes", local: true, homeStorage: { type: "dynamic", size: "1Gi" } };
            f.hubs.pub.cluster = "laptop";
            delete f.hubs.pub.domain;
        }), { stack: "staging", secretKeys: ["hubSecrets"] });
        assert.strictEqual(fleet.hubs.pub.auth.type, "ephemeral");
    });
});

describe("auth: shared-password workshops", () => {
    it("use JupyterHub's SharedPasswordAuthenticator with both passwords only in the secret values", () => {
        const { values, secret } = valuesOf(parsed(["workshop"]), "workshop");
        assert.deepStrictEqual(values.hub.config.JupyterHub, { authenticator_class: "shared-password" });
        // Any name with the password: allow_all, the password being the gate.
        assert.deepStrictEqual(values.hub.config.Authenticator, { admin_users: ["instructor"], allow_all: true });
        assert.deepStrictEqual(Object.keys(values.hub.config).sort(), ["Authenticator", "JupyterHub"]);
        assert.deepStrictEqual(secret.hub.config.SharedPasswordAuthenticator, { user_password: WORKSHOP_PASSWORD, admin_password: ADMIN_PASSWORD });
        const publicText = JSON.stringify(values);
        assert.ok(!publicText.includes(WORKSHOP_PASSWORD) && !publicText.includes(ADMIN_PASSWORD), "a password is in the public values");
        assert.strictEqual(values.singleuser.defaultUrl, HUBS.workshop.defaultUrl);
        assert.deepStrictEqual(values.singleuser.storage, { type: "none" });
        assertChartAccepts("a shared-password hub's values", values, secret);
    });

    it("admit only listed names when allowedUsers is given", () => {
        const { values } = valuesOf(parsed(["workshop"], f => { f.hubs.workshop.auth.allowedUsers = ["ada", "grace"]; }), "workshop");
        assert.deepStrictEqual(values.hub.config.Authenticator, { admin_users: ["instructor"], allowed_users: ["ada", "grace"], allow_all: false });
    });

    it("refuse a hub without passwords, with the commands that set them", () => {
        expectExactly(problemsOf(fleetOf(["workshop"], f => { delete f.hubSecrets.workshop; })),
            "hubSecrets.workshop.auth.password: missing: a shared-password hub needs the password its users log in with " +
            "(run: pulumi config set --secret --path 'hubSecrets.workshop.auth.password' '<at least 8 characters>')",
            "hubSecrets.workshop.auth.adminPassword: missing: the adminUsers of a shared-password hub log in with their own password " +
            "(run: pulumi config set --secret --path 'hubSecrets.workshop.auth.adminPassword' '<at least 32 characters>' (or remove adminUsers))");
    });

    it("refuse passwords JupyterHub would refuse to start with", () => {
        const short = problemsOf(fleetOf(["workshop"], f => { f.hubSecrets.workshop.auth = { password: "short", adminPassword: "also-too-short" }; }));
        expectProblem(short, /^hubSecrets\.workshop\.auth\.password: has 5 characters; JupyterHub refuses to start with fewer than 8 \(run: pulumi config set --secret/);
        expectProblem(short, /^hubSecrets\.workshop\.auth\.adminPassword: has 14 characters; JupyterHub refuses to start with fewer than 32 \(run: /);
        const same = problemsOf(fleetOf(["workshop"], f => { f.hubSecrets.workshop.auth.password = ADMIN_PASSWORD; }));
        expectExactly(same, "hubSecrets.workshop.auth.adminPassword: is the shared password, which would make every user able to log in as an admin " +
            "(JupyterHub refuses it) (run: pulumi config set --secret --path 'hubSecrets.workshop.auth.adminPassword' '<another password>')");
        const noAdmins = problemsOf(fleetOf(["workshop"], f => { delete f.hubs.workshop.auth.adminUsers; }));
        expectExactly(noAdmins, "hubSecrets.workshop.auth.adminPassword: is set, but the hub has no adminUsers who could use it " +
            "(add adminUsers to hubs.workshop.auth, or run: pulumi config rm --path 'hubSecrets.workshop.auth.adminPassword')");
    });

    it("point a password written next to the auth type to hubSecrets", () => {
        const problems = problemsOf(fleetOf(["workshop"], f => { f.hubs.workshop.auth.password = WORKSHOP_PASSWORD; }));
        expectExactly(problems, "hubs.workshop.auth.password: unknown key (secrets go in hubSecrets, encrypted: " +
            "pulumi config set --secret --path 'hubSecrets.workshop.auth.password' '<password>')");
    });
});

describe("auth: CILogon", () => {
    it("maps allowedIdps to CILogonOAuthenticator.idps as oauthenticator 17.4 validates them, the secret kept apart", () => {
        const { values, secret } = valuesOf(parsed(["campus"], f => {
            f.hubs.campus.auth.allowedIdps["http://github.com/login/oauth/authorize"] = {
                usernameDerivation: { usernameClaim: "preferred_username", prefix: "github" }, default: true,
            };
        }), "campus");
        assert.deepStrictEqual(values.hub.config.JupyterHub, { authenticator_class: "cilogon" });
        assert.deepStrictEqual(values.hub.config.Authenticator, { admin_users: ["alice"], allow_all: false });
        const section = values.hub.config.CILogonOAuthenticator;
        assert.deepStrictEqual(section.idps, {
            [CILOGON_IDP]: {
                username_derivation: { username_claim: "eppn", action: "strip_idp_domain", domain: "example.edu" },
                allowed_domains: ["example.edu"],
            },
            "http://github.com/login/oauth/authorize": {
                username_derivation: { username_claim: "preferred_username", action: "prefix", prefix: "github" }, default: true,
            },
        });
        for (const [entityId, idp] of Object.entries(section.idps)) assert.ok(validateIdp(idp), `${entityId}: ${JSON.stringify(validateIdp.errors)}`);
        assert.deepStrictEqual([section.client_id, section.oauth_callback_url], ["cilogon:/client_id/abc", "https://campus.example.org/hub/oauth_callback"]);
        assert.deepStrictEqual(Object.keys(values.hub.config).sort(), ["Authenticator", "CILogonOAuthenticator", "JupyterHub"]);
        assert.deepStrictEqual(secret.hub.config.CILogonOAuthenticator, { client_secret: "cilogon-client-secret" });
        assert.ok(!JSON.stringify(values).includes("cilogon-client-secret"));
        assertChartAccepts("a CILogon hub's values", values, secret);
    });

    it("refuses a hub with no identity provider, missing or empty", () => {
        const fix = "(add one by entity id from https://cilogon.org/idplist, e.g. allowedIdps: { \"https://idp.example.edu/idp/shibboleth\": " +
            "{ usernameDerivation: { usernameClaim: eppn }, allowedDomains: [example.edu] } })";
        for (const idps of [undefined, {}]) {
            expectExactly(problemsOf(fleetOf(["campus"], f => { f.hubs.campus.auth.allowedIdps = idps; })),
                `hubs.campus.auth.allowedIdps: names no identity provider, so nobody could log in ${fix}`);
        }
    });

    it("refuses providers oauthenticator would refuse, and a hub nobody could log into", () => {
        const problems = problemsOf(fleetOf(["campus"], f => {
            f.hubs.campus.auth.allowedIdps = {
                "example.edu": { usernameDerivation: { usernameClaim: "email", stripDomain: "example.edu", prefix: "edu" }, allowedDomainsClaim: "email" },
            };
            delete f.hubs.campus.auth.adminUsers;
        }));
        expectExactly(problems,
            "hubs.campus.auth.allowedIdps[\"example.edu\"]: is not a CILogon entity id (oauthenticator takes urn:, https:// or http:// ids, " +
            "not domains) (use the provider's EntityID from https://cilogon.org/idplist)",
            "hubs.campus.auth.allowedIdps[\"example.edu\"].usernameDerivation: sets both stripDomain and prefix, and oauthenticator applies " +
            "one action (keep one of them)",
            "hubs.campus.auth.allowedIdps[\"example.edu\"].allowedDomainsClaim: has no allowedDomains to check (add allowedDomains, or remove it)",
            "hubs.campus.auth: nobody could log in: JupyterHub 5 needs an allow rule (add allowedDomains (or allowAll: true) to an identity " +
            "provider under allowedIdps, or list allowedUsers)");
    });

    it("needs its client secret", () => {
        expectExactly(problemsOf(fleetOf(["campus"], f => { delete f.hubSecrets.campus; })),
            "hubSecrets.campus.auth.clientSecret: missing: cilogon auth needs the OAuth client secret " +
            "(run: pulumi config set --secret --path 'hubSecrets.campus.auth.clientSecret' '<client secret>')");
    });
});

describe("auth: GitHub teams", () => {
    const withTeams = (mutate: (auth: any) => void = () => undefined) => parsed([], f => {
        f.hubs.staging.auth.allowedOrganizations = ["example-org", "partner-org:tess-users"];
        f.hubs.staging.auth.adminTeams = ["example-org:hub-admins"];
        mutate(f.hubs.staging.auth);
    });

    it("allow org:team members, and make team members admins through groups named org:team", () => {
        const fleet = withTeams();
        const { values, secret } = valuesOf(fleet, "staging");
        assert.deepStrictEqual(values.hub.config.GitHubOAuthenticator, {
            client_id: "Iv1.abc", oauth_callback_url: "https://staging.hub.example.org/hub/oauth_callback",
            allowed_organizations: ["example-org", "partner-org:tess-users"], scope: ["read:org"],
            // oauthenticator 17.4: admin_groups requires manage_groups (oauth2.py `_requires_manage_groups`); teams reach
            // auth state only with populate_teams_in_auth_state (github.py `update_auth_model`).
            populate_teams_in_auth_state: true, manage_groups: true, admin_groups: ["example-org:hub-admins"],
        });
        assert.ok(values.hub.extraConfig["30-github-team-groups"].includes("c.GitHubOAuthenticator.auth_state_groups_key"));
        assertChartAccepts("a GitHub hub with team admins", values, secret);
        // Without teams the hub needs none of it.
        const plain = valuesOf(parsed([]), "staging").values;
        assert.strictEqual(plain.hub.config.GitHubOAuthenticator.manage_groups, undefined);
        assert.strictEqual(plain.hub.extraConfig, undefined);
    });

    it("names the groups as the teams are written, from GitHub's team objects (python3 runs the generated config)", function () {
        this.timeout(30000);
        // The team objects of GET /user/teams, as github.py stores them in auth_state["teams"].
        const driver = `
import json, sys
class Section: pass
class Config:
    GitHubOAuthenticator = Section()
c = Config()
exec(sys.stdin.read(), {"c": c})
groups = c.GitHubOAuthenticator.auth_state_groups_key
print(json.dumps([groups({"teams": [{"slug": "hub-admins", "organization": {"login": "Example-Org"}},
                                    {"slug": "tess-users", "organization": {"login": "partner-org"}}]}),
                  groups({"teams": None}), groups({})]))
`;
        const run = spawnSync("python3", ["-c", driver], { input: GITHUB_TEAM_GROUPS, encoding: "utf8", timeout: 20000 });
        assert.strictEqual(run.status, 0, run.stderr);
        assert.deepStrictEqual(JSON.parse(run.stdout), [["example-org:hub-admins", "partner-org:tess-users"], [], []]);
    });

    it("refuse organizations and teams GitHub could not name", () => {
        const problems = problemsOf(fleetWith(f => {
            f.hubs.staging.auth.allowedOrganizations = ["example-org/tess-users"];
            f.hubs.staging.auth.adminTeams = ["example-org"];
        }));
        expectExactly(problems,
            "hubs.staging.auth.allowedOrganizations[0]: string \"example-org/tess-users\" must be an organization or a team " +
            "(write example-org, or example-org:team-slug with the slug from the team's URL)",
            "hubs.staging.auth.adminTeams[0]: string \"example-org\" must be a team " +
            "(write org:team-slug with the slug from the team's URL, github.com/orgs/<org>/teams/<team-slug>)");
    });
});

describe("auth: what every type refuses", () => {
    it("an unknown key under any auth type, with the key it resembles", () => {
        const problems = problemsOf(fleetOf(["pub", "workshop", "campus"], f => {
            f.hubs.pub.auth.allowAll = true;
            f.hubs.workshop.auth.adminUser = ["instructor"];
            f.hubs.campus.auth.allowedIdp = f.hubs.campus.auth.allowedIdps;
            f.hubs.staging.auth.adminTeam = ["example-org:admins"];
        }));
        expectExactly(problems,
            "hubs.pub.auth.allowAll: unknown key (allowed here: type)",
            "hubs.workshop.auth.adminUser: unknown key (did you mean adminUsers?)",
            "hubs.campus.auth.allowedIdp: unknown key (did you mean allowedIdps?)",
            "hubs.staging.auth.adminTeam: unknown key (did you mean adminTeams?)");
    });

    it("an auth secret the hub's type never reads", () => {
        const problems = problemsOf(fleetOf(["pub"], f => {
            f.hubSecrets.staging.auth.password = WORKSHOP_PASSWORD;
            f.hubSecrets.pub = { auth: { clientSecret: "unused" } };
        }));
        expectExactly(problems,
            "hubSecrets.staging.auth.password: is set, but github auth does not use it (remove it: pulumi config rm --path 'hubSecrets.staging.auth.password')",
            "hubSecrets.pub.auth.clientSecret: is set, but ephemeral auth does not use it (remove it: pulumi config rm --path 'hubSecrets.pub.auth.clientSecret')");
    });

    it("a default URL that is not a path on the user's server", () => {
        for (const url of ["lab", "//evil.example.org/lab", "https://evil.example.org", "/lab tree"]) {
            expectProblem(problemsOf(fleetWith(f => { f.hubs.staging.defaultUrl = url; })),
                /^hubs\.staging\.defaultUrl: string ".*" must be a path on the user's server, such as \/lab or \/git-pull\?repo=…&urlpath=lab\/tree\/… \(start with one \/, no spaces\)/);
        }
    });

    it("values for every type have only their own authenticator's sections (no stand-in blocks)", () => {
        const fleet = parsed(["pub", "workshop", "campus"]);
        const sections = Object.fromEntries(Object.keys(fleet.hubs).map(key => [key, Object.keys(valuesOf(fleet, key).values.hub.config).sort()]));
        assert.deepStrictEqual(sections, {
            staging: ["Authenticator", "GitHubOAuthenticator", "JupyterHub"],
            pub: ["Authenticator", "JupyterHub"], workshop: ["Authenticator", "JupyterHub"],
            campus: ["Authenticator", "CILogonOAuthenticator", "JupyterHub"],
        });
    });
});

describe("storage: none on any hub", () => {
    it("gives a hub with logins no home volume and no ownership init container", () => {
        const hub = parsed([], f => { f.hubs.staging.storage = "none"; }).hubs.staging;
        const values = composeValues({ ...valuesInput("staging", hub), home: { type: "none" } }) as any;
        assert.deepStrictEqual(values.singleuser.storage, { type: "none" });
        assert.strictEqual(values.singleuser.initContainers, undefined);
        assertChartAccepts("a hub without storage", values);
    });
});

describe("hubSecretDefaults", () => {
    const pullSecret = { imagePullSecret: { create: true, registry: "ghcr.io", username: "fleet", password: "registry-token" } };

    it("give every hub the shared secrets, under the hub's own", () => {
        const fleet = parseFleetConfig(fleetOf(["workshop"], f => {
            f.hubSecretDefaults = { values: pullSecret, auth: { clientSecret: "shared-client-secret" } };
        }), { stack: "staging", secretKeys: ["hubSecrets", "hubSecretDefaults"] });
        assert.deepStrictEqual(fleet.hubSecrets.staging, { auth: { clientSecret: "gh-client-secret" }, values: pullSecret });
        assert.deepStrictEqual(fleet.hubSecrets.workshop.values, pullSecret);
        const secret = valuesOf(fleet, "workshop").secret;
        assert.strictEqual(secret.imagePullSecret.password, "registry-token");
        assertChartAccepts("values with a shared image pull secret", valuesOf(fleet, "workshop").values, secret);
    });

    it("refuse a shared database, and a plain-text stack entry", () => {
        const problems = problemsOf(fleetWith(f => {
            f.hubSecretDefaults = { database: { url: "postgresql://u:p@db:5432/hub" } };
        }), ["hubSecrets"]);
        expectExactly(problems,
            "hubSecretDefaults: is stored in plain text in the stack file (delete it from Pulumi.staging.yaml and set each value with --secret, " +
            "e.g. pulumi config set --secret --path 'hubSecretDefaults.values.imagePullSecret.password' '<value>')",
            "hubSecretDefaults.database: would point every hub at one database, and hubs sharing a JupyterHub database corrupt each other " +
            "(set each hub's own: pulumi config set --secret --path 'hubSecrets.<hub>.database.url' 'postgresql://…', then pulumi config rm --path 'hubSecretDefaults.database')");
    });

    it("are a top-level key a typo of which is named", () => {
        expectProblem(problemsOf({ ...awsFleet(), hubSecretDefault: {} }), /^hubSecretDefault: unknown config key jupyterhub-fleet:hubSecretDefault \(did you mean hubSecretDefaults\?\)/);
    });
});
