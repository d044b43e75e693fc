/**
 * z2jh-auth-restricted's view of the new kinds of hub: a public hub is open only where the stack's policy config
 * lists it, and then contained; CILogon providers open to all count as allow_all; a shared password is a gate.
 * Releases carry the values the program composes from config (components/z2jhValues.ts), raw overrides on top.
 */
import * as assert from "assert";
import { parseFleetConfig } from "../components/config";
import { composeValues } from "../components/z2jhValues";
import { ResourceFacts } from "../policies/rules/common";
import { AuthConfig, z2jhAuthRestricted } from "../policies/rules/z2jh";
import { deepMerge } from "../components/util";
import { awsFleet } from "./fixtures";

const URN = "urn:pulumi:staging::jupyterhub-fleet::jupyterhub:hub:Hub";

/** The release of hub `hub` composed from its `auth` and extra hub fields, with `raw` merged over the values. */
function release(hub: string, auth: Record<string, unknown>, fields: Record<string, unknown> = {}, raw: Record<string, unknown> = {}): ResourceFacts {
    const fleet = awsFleet() as any;
    delete fleet.hubDefaults.values;
    fleet.hubs = { [hub]: { cluster: "uw2", domain: `${hub}.example.org`, contactEmail: "ops@example.org", auth, ...fields } };
    const secrets: Record<string, unknown> = { "shared-password": { password: "workshop-password" }, ephemeral: {} };
    fleet.hubSecrets = { [hub]: { auth: secrets[auth.type as string] ?? { clientSecret: "secret" } } };
    const spec = parseFleetConfig(fleet, { stack: "staging", secretKeys: ["hubSecrets"] }).hubs[hub];
    const values = composeValues({
        hubKey: hub, hub: spec, home: spec.storage === "none" ? { type: "none" } : { type: "static", pvcName: "home", subPath: "{escaped_username}", fixOwnership: false },
        platformEnv: {}, cloudMetadata: "block", userVolumes: [], hubExtraConfig: {}, dedicatedNodePools: true,
    });
    return {
        type: "kubernetes:helm.sh/v3:Release", name: `${hub}-release`, urn: `${URN}$kubernetes:helm.sh/v3:Release::${hub}-release`, protect: false,
        props: { name: hub, chart: "jupyterhub", version: "4.4.2", values: deepMerge(values, raw) },
    };
}

const config = (overrides: Partial<AuthConfig> = {}): AuthConfig => ({ localStacks: [], allowAllHubs: [], publicHubs: [], ...overrides });
const PUBLIC = { type: "ephemeral" };
const CILOGON = {
    type: "cilogon", clientId: "cilogon:/client_id/abc",
    allowedIdps: { "https://idp.example.edu/idp/shibboleth": { usernameDerivation: { usernameClaim: "eppn" }, allowAll: true } },
};

describe("z2jh-auth-restricted: public hubs", () => {
    it("passes a listed public hub as the fleet composes it, and refuses an unlisted one", () => {
        assert.deepStrictEqual(z2jhAuthRestricted.check(release("pub", PUBLIC), config({ publicHubs: ["pub"] })), []);
        const [message, ...rest] = z2jhAuthRestricted.check(release("pub", PUBLIC), config());
        assert.deepStrictEqual(rest, []);
        assert.ok(message.startsWith('Release "pub-release" (hub pub) gives every visitor a temporary user'), message);
        assert.ok(message.includes('add "pub" to publicHubs of z2jh-auth-restricted in policies/config/staging.json'), message);
    });

    it("knows tmpauthenticator by its class path too", () => {
        const raw = release("pub", PUBLIC, {}, { hub: { config: { JupyterHub: { authenticator_class: "tmpauthenticator.TmpAuthenticator" } } } });
        assert.match(z2jhAuthRestricted.check(raw, config())[0], /temporary user/);
    });

    it("names everything that escapes a listed public hub: storage, culling, caps and https", () => {
        const raw = release("pub", PUBLIC, {}, {
            singleuser: { storage: { type: "dynamic" }, cpu: { limit: null }, memory: { limit: null } },
            cull: { maxAge: 0 }, proxy: { https: { enabled: false } },
        });
        const [message, ...rest] = z2jhAuthRestricted.check(raw, config({ publicHubs: ["pub"] }));
        assert.deepStrictEqual(rest, []);
        assert.strictEqual(message, 'Release "pub-release" (hub pub) is a public hub, where anyone runs code, but ' +
            'singleuser.storage.type is "dynamic" (set storage: none); cull needs enabled, timeout and maxAge (the hub\'s culling); ' +
            "singleuser.cpu.limit is unset (set userResources); singleuser.memory.limit is unset (set userResources); " +
            "no https (set the hub's domain): fix these in hubs.pub (remove raw values that override them)");
        const ingress = release("pub", PUBLIC, {}, { proxy: { https: { enabled: false } }, ingress: { enabled: true, hosts: ["pub.example.org"], tls: [{ hosts: ["pub.example.org"] }] } });
        assert.deepStrictEqual(z2jhAuthRestricted.check(ingress, config({ publicHubs: ["pub"] })), [], "ingress tls is https too");
    });

    it("refuses cloud identities and S3 keys in a public hub's namespace, and nowhere else", () => {
        const account = (namespace: string): ResourceFacts => ({
            type: "kubernetes:core/v1:ServiceAccount", name: `${namespace}-user-sa`, urn: `${URN}$kubernetes:core/v1:ServiceAccount::${namespace}-user-sa`,
            protect: false, props: { metadata: { name: "user-sa", namespace, annotations: { "iam.gke.io/gcp-service-account": "pub@p.iam.gserviceaccount.com" } } },
        });
        const keys: ResourceFacts = {
            type: "kubernetes:core/v1:Secret", name: "pub-platform-files", urn: `${URN}$kubernetes:core/v1:Secret::pub-platform-files`,
            protect: false, props: { metadata: { name: "fleet-platform-files", namespace: "pub" } },
        };
        const listed = config({ publicHubs: ["pub"] });
        assert.match(z2jhAuthRestricted.check(account("pub"), listed)[0],
            /^ServiceAccount "pub-user-sa": service account user-sa carries iam\.gke\.io\/gcp-service-account, a cloud identity every visitor of public hub pub could use: remove cloudAccess from hubs\.pub$/);
        assert.match(z2jhAuthRestricted.check(keys, listed)[0], /hands the cluster's S3 keys to public hub pub.*: run the public hub on a cluster without accessGroups$/);
        assert.deepStrictEqual([z2jhAuthRestricted.check(account("research"), listed), z2jhAuthRestricted.check(keys, config())], [[], []]);
    });

    it("leaves local stacks alone", () => {
        assert.deepStrictEqual(z2jhAuthRestricted.check(release("pub", PUBLIC), config({ localStacks: ["staging"] })), []);
    });
});

describe("z2jh-auth-restricted: other kinds of login", () => {
    it("counts a CILogon provider open to all its accounts as allow_all", () => {
        const [message] = z2jhAuthRestricted.check(release("campus", CILOGON), config());
        assert.ok(message.includes('sets hub.config.CILogonOAuthenticator.idps["https://idp.example.edu/idp/shibboleth"].allow_all'), message);
        assert.ok(message.includes('add "campus" to allowAllHubs'), message);
        assert.deepStrictEqual(z2jhAuthRestricted.check(release("campus", CILOGON), config({ allowAllHubs: ["campus"] })), []);
        const domains = { ...CILOGON, allowedIdps: { "https://idp.example.edu/idp/shibboleth": { usernameDerivation: { usernameClaim: "eppn" }, allowedDomains: ["example.edu"] } } };
        assert.deepStrictEqual(z2jhAuthRestricted.check(release("campus", domains), config()), []);
    });

    it("takes a shared password as the gate of its hub's allow_all, but not an OAuth section's allow_all", () => {
        const workshop = release("workshop", { type: "shared-password" });
        assert.strictEqual(workshop.props.values.hub.config.Authenticator.allow_all, true);
        assert.deepStrictEqual(z2jhAuthRestricted.check(workshop, config()), []);
        const open = release("research", { type: "github", clientId: "Iv1.abc", allowAll: true });
        assert.match(z2jhAuthRestricted.check(open, config())[0], /sets hub\.config\.Authenticator\.allow_all/);
    });
});
