/**
 * Rules for a hub's login and what its kind of login allows: public (ephemeral) hubs that hold nothing a
 * visitor could take, workshop passwords JupyterHub will accept, CILogon providers oauthenticator will
 * accept, and the secrets each auth type needs. Also the shared secrets of `hubSecretDefaults`.
 */
import { ClusterSpec } from "./clusters";
import { formatPath, PathPart, Problems, secretCommand } from "./errors";
import { EPHEMERAL_CULLING_MAX, hubSecretsSchema, HubSecretsSpec, HubSpec, OAUTH_AUTH_TYPES } from "./hub";
import { check, valueAt } from "./parse";

/**
 * JupyterHub's SharedPasswordAuthenticator refuses to start with shorter passwords
 * (jupyterhub 5.5 `jupyterhub/authenticators/shared.py`: `_USER_PASSWORD_MIN_LENGTH`, `_ADMIN_PASSWORD_MIN_LENGTH`).
 */
const SHARED_PASSWORD_MIN_LENGTH = 8;
const ADMIN_PASSWORD_MIN_LENGTH = 32;

/** Entity id schemes oauthenticator accepts as `idps` keys (17.4 `cilogon.py` `_validate_idps`); others stop the hub. */
const ENTITY_ID = /^(urn|https?):/;

/**
 * Raw values a public hub may not set: they would undo what keeps a visitor's server short-lived, capped and
 * without storage. The typed fields that own them are named in the message.
 */
const PUBLIC_HUB_OWNED_VALUES: readonly { readonly path: readonly string[]; readonly field: string }[] = [
    { path: ["cull"], field: "culling" },
    { path: ["singleuser", "storage", "type"], field: "storage" },
    { path: ["singleuser", "storage", "static"], field: "storage" },
    { path: ["singleuser", "storage", "dynamic"], field: "storage" },
    { path: ["singleuser", "cpu"], field: "userResources.cpu" },
    { path: ["singleuser", "memory"], field: "userResources.memory" },
];

/** What a hub's auth type requires of the hub and its cluster. */
export function checkAuth(key: string, hub: HubSpec, clusterKey: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const auth = hub.auth;
    const authPath = [...path, "auth"];
    if (auth.type === "ephemeral") {
        checkPublicHub(key, hub, clusterKey, cluster, path, problems);
    }
    if (auth.type === "cilogon") {
        const idps = Object.entries(auth.allowedIdps);
        if (idps.length === 0) {
            problems.add([...authPath, "allowedIdps"], "names no identity provider, so nobody could log in",
                "add one by entity id from https://cilogon.org/idplist, e.g. allowedIdps: { \"https://idp.example.edu/idp/shibboleth\": " +
                "{ usernameDerivation: { usernameClaim: eppn }, allowedDomains: [example.edu] } }");
        }
        for (const [entityId, idp] of idps) {
            const idpPath = [...authPath, "allowedIdps", entityId];
            if (!ENTITY_ID.test(entityId)) {
                problems.add(idpPath, "is not a CILogon entity id (oauthenticator takes urn:, https:// or http:// ids, not domains)",
                    "use the provider's EntityID from https://cilogon.org/idplist");
            }
            const derivation = idp.usernameDerivation;
            if (derivation.stripDomain && derivation.prefix) {
                problems.add([...idpPath, "usernameDerivation"], "sets both stripDomain and prefix, and oauthenticator applies one action",
                    "keep one of them");
            }
            if (idp.allowedDomainsClaim && !idp.allowedDomains?.length) {
                problems.add([...idpPath, "allowedDomainsClaim"], "has no allowedDomains to check", "add allowedDomains, or remove it");
            }
        }
        const allowed = idps.some(([, idp]) => idp.allowAll || idp.allowedDomains?.length) || auth.allowedUsers?.length || auth.adminUsers?.length;
        if (idps.length > 0 && !allowed) {
            problems.add(authPath, "nobody could log in: JupyterHub 5 needs an allow rule",
                "add allowedDomains (or allowAll: true) to an identity provider under allowedIdps, or list allowedUsers");
        }
    }
}

/**
 * A public hub lets anyone run code: it may hold no identity, keys or homes, must be reached over https, and
 * its servers must end soon. Everything here would otherwise reach every visitor.
 */
function checkPublicHub(key: string, hub: HubSpec, clusterKey: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const why = "a public (ephemeral) hub gives it to every visitor";
    if (hub.cloudAccess) {
        problems.add([...path, "cloudAccess"], `grants the hub's cloud identity, and ${why}`,
            "remove it; run buckets for known users on a hub with logins");
    }
    if (Object.keys(hub.bucketEnv).length > 0) {
        problems.add([...path, "bucketEnv"], `hands out bucket locations, and ${why}`, "remove it");
    }
    if (cluster.provider === "ovh" && Object.keys(cluster.accessGroups ?? {}).length > 0) {
        problems.add([...path, "cluster"], `cluster ${clusterKey} has accessGroups, whose default group's S3 keys reach every user of its hubs, and ${why}`,
            "run the public hub on a cluster without accessGroups");
    }
    if (cluster.provider === "kubernetes" && cluster.extraMounts?.length) {
        problems.add([...path, "cluster"], `cluster ${clusterKey} mounts its extraMounts (${cluster.extraMounts.map(m => m.name).join(", ")}) ` +
            `into every hub's user servers, and ${why}`, "run the public hub on a cluster without extraMounts");
    }
    if (cluster.provider === "kubernetes" && cluster.privateEgress?.length) {
        problems.add([...path, "cluster"], `cluster ${clusterKey} lets every hub's users reach private addresses (privateEgress), and ${why}`,
            "run the public hub on a cluster without privateEgress");
    }
    if (hub.storage !== "none") {
        problems.add([...path, "storage"], "keeps home directories, but a public hub's users are temporary and nobody could ever reach theirs again",
            "remove storage (a public hub defaults to none), or use auth.type shared-password for a workshop that keeps homes");
    }
    const isLocal = cluster.provider === "kubernetes" && cluster.local;
    if (!hub.domain && !isLocal) {
        problems.add([...path, "domain"], "missing: a public hub must be served over https, and the fleet serves https on the hub's domain",
            "add domain (and contactEmail) here");
    }
    const culling = hub.culling;
    if (culling.idleTimeoutMinutes > EPHEMERAL_CULLING_MAX.idleTimeoutMinutes) {
        problems.add([...path, "culling", "idleTimeoutMinutes"], `is ${culling.idleTimeoutMinutes}, over a public hub's ${EPHEMERAL_CULLING_MAX.idleTimeoutMinutes}`,
            `lower it (the default is 10), or check that hubDefaults.culling does not set it for every hub`);
    }
    if ((culling.maxAgeMinutes ?? Infinity) > EPHEMERAL_CULLING_MAX.maxAgeMinutes) {
        problems.add([...path, "culling", "maxAgeMinutes"], `is ${culling.maxAgeMinutes}, over a public hub's ${EPHEMERAL_CULLING_MAX.maxAgeMinutes} (a day)`,
            "lower it (the default is 240); longer sessions want a hub with logins");
    }
    for (const owned of PUBLIC_HUB_OWNED_VALUES) {
        if (valueAt(hub.values, owned.path) !== undefined) {
            problems.add([...path, "values", ...owned.path], "overrides what keeps a public hub's servers short-lived, capped and without storage",
                `remove it from hubs.${key}.values (or hubDefaults.values) and set ${owned.field} on the hub instead`);
        }
    }
}

/** The secrets each auth type needs, checked for what JupyterHub accepts; secrets a hub's own entry sets but its auth never reads. */
export function checkAuthSecrets(key: string, hub: HubSpec, secrets: HubSecretsSpec | undefined, own: HubSecretsSpec | undefined,
    problems: Problems): void {
    const auth = hub.auth;
    const at = (field: string) => ["hubSecrets", key, "auth", field];
    const command = (field: string, example: string) => `run: ${secretCommand(`hubSecrets.${key}.auth.${field}`, example)}`;
    if (auth.type === "shared-password") {
        const password = secrets?.auth?.password;
        const adminPassword = secrets?.auth?.adminPassword;
        if (!password) {
            problems.add(at("password"), "missing: a shared-password hub needs the password its users log in with",
                command("password", `<at least ${SHARED_PASSWORD_MIN_LENGTH} characters>`));
        } else if (password.length < SHARED_PASSWORD_MIN_LENGTH) {
            problems.add(at("password"), `has ${password.length} characters; JupyterHub refuses to start with fewer than ${SHARED_PASSWORD_MIN_LENGTH}`,
                command("password", `<at least ${SHARED_PASSWORD_MIN_LENGTH} characters>`));
        }
        if (auth.adminUsers?.length && !adminPassword) {
            problems.add(at("adminPassword"), "missing: the adminUsers of a shared-password hub log in with their own password",
                `${command("adminPassword", `<at least ${ADMIN_PASSWORD_MIN_LENGTH} characters>`)} (or remove adminUsers)`);
        } else if (adminPassword && !auth.adminUsers?.length) {
            problems.add(at("adminPassword"), "is set, but the hub has no adminUsers who could use it",
                `add adminUsers to hubs.${key}.auth, or run: pulumi config rm --path 'hubSecrets.${key}.auth.adminPassword'`);
        } else if (adminPassword && adminPassword.length < ADMIN_PASSWORD_MIN_LENGTH) {
            problems.add(at("adminPassword"), `has ${adminPassword.length} characters; JupyterHub refuses to start with fewer than ${ADMIN_PASSWORD_MIN_LENGTH}`,
                command("adminPassword", `<at least ${ADMIN_PASSWORD_MIN_LENGTH} characters>`));
        }
        if (password && adminPassword && password === adminPassword) {
            problems.add(at("adminPassword"), "is the shared password, which would make every user able to log in as an admin (JupyterHub refuses it)",
                command("adminPassword", "<another password>"));
        }
    }
    const used = new Set([
        ...(OAUTH_AUTH_TYPES.includes(auth.type) ? ["clientSecret"] : []),
        ...(auth.type === "shared-password" ? ["password", "adminPassword"] : []),
    ]);
    for (const field of Object.keys(own?.auth ?? {}).filter(field => !used.has(field))) {
        problems.add(at(field), `is set, but ${auth.type} auth does not use it`,
            `remove it: pulumi config rm --path 'hubSecrets.${key}.auth.${field}'`);
    }
}

/** `hubSecretDefaults`: the secret counterpart of hubDefaults, minus what must differ between hubs. */
export function checkHubSecretDefaults(raw: unknown, problems: Problems): HubSecretsSpec {
    if (raw === undefined) return {};
    const path = ["hubSecretDefaults"];
    const defaults = check(hubSecretsSchema, raw, path, problems);
    if (!defaults) return {};
    const { database, ...shared } = defaults;
    if (database) {
        problems.add([...path, "database"], "would point every hub at one database, and hubs sharing a JupyterHub database corrupt each other",
            `set each hub's own: ${secretCommand("hubSecrets.<hub>.database.url", "postgresql://…")}, then pulumi config rm --path '${formatPath([...path, "database"])}'`);
    }
    return shared;
}
