/**
 * Rules that span config entries: a hub against its cluster (bucket references, identities, auth), hubs
 * against hubSecrets, and names that must be unique across the fleet.
 */
import { closestMatch, isPlainObject } from "../util";
import { ClusterSpec } from "./clusters";
import { bytes, checkDaskGateway, checkProfiles } from "./compute";
import { formatPath, PathPart, Problems, secretCommand } from "./errors";
import { nodeServiceAccountId } from "./gcp";
import { checkHubHomes } from "./homeStorage";
import { HubSecretsSpec, HubSpec, OAUTH_AUTH_TYPES } from "./hub";
import { AWS_CLUSTER_ROLE_SUFFIXES, AWS_ROLE_NAME_MAX, bucketFullName, ENV_NAME, GCP_SERVICE_ACCOUNT_ID, hubIdentityName } from "./names";
import { checkOvhHub } from "./ovh";
import { valuesOrigin, ValuesSources } from "./values";

export function checkBucketNamesUnique(clusters: Record<string, ClusterSpec>, problems: Problems): void {
    const owners = new Map<string, string>();
    for (const [key, cluster] of Object.entries(clusters)) {
        for (const [bucketKey, bucket] of Object.entries(cluster.buckets)) {
            const name = bucketFullName(key, cluster.provider, bucketKey, bucket);
            const owner = owners.get(name);
            if (owner) {
                problems.add(["clusters", key, "buckets", bucketKey], `bucket name "${name}" is also used by ${owner}`,
                    "give one of them another key or name:");
            }
            owners.set(name, `clusters.${key}.buckets.${bucketKey}`);
        }
    }
}

/**
 * `renamedFrom` names a key that is gone: resources of a key that still exists cannot also become another
 * entry's aliases, and one old key's resources can go to one new entry only.
 */
export function checkRenames(kind: "hubs" | "clusters", entries: Record<string, unknown>, problems: Problems): void {
    const claimedBy = new Map<string, string>();
    for (const [key, entry] of Object.entries(entries)) {
        const previous = isPlainObject(entry) ? entry.renamedFrom : undefined;
        if (typeof previous !== "string") continue;  // absent, or a wrong type the schema reports
        const path = [kind, key, "renamedFrom"];
        if (previous in entries) {
            problems.add(path, previous === key ? "names this entry's own key" : `${kind}.${previous} still exists`,
                previous === key ? "remove renamedFrom" : `renamedFrom names the key before the rename, which must be gone from ${kind}; remove renamedFrom, or remove ${kind}.${previous}`);
        }
        const earlier = claimedBy.get(previous);
        if (earlier) {
            problems.add(path, `${kind}.${earlier}.renamedFrom already claims "${previous}"`,
                `one entry only can take over the resources of ${previous}; remove one of them`);
        }
        claimedBy.set(previous, key);
    }
}

export function checkHub(key: string, hub: HubSpec, clusterKey: string, cluster: ClusterSpec, path: readonly PathPart[], problems: Problems): void {
    const provider = cluster.provider;
    const bucketKeys = Object.keys(cluster.buckets);
    const bucketRef = (refPath: readonly PathPart[], bucketKey: string) => {
        if (!bucketKeys.includes(bucketKey)) {
            const guess = closestMatch(bucketKey, bucketKeys);
            problems.add(refPath, `no bucket "${bucketKey}" on cluster ${clusterKey}`,
                guess ? `did you mean ${guess}?` : bucketKeys.length ? `use one of: ${bucketKeys.join(", ")}` : `add it under clusters.${clusterKey}.buckets`);
            return false;
        }
        return true;
    };

    const access = hub.cloudAccess;
    if (access) {
        const accessPath = [...path, "cloudAccess"];
        if (provider === "ovh" || provider === "kubernetes") {
            problems.add(accessPath, `${provider} clusters have no workload identity for per-hub cloud roles`,
                provider === "ovh" ? `remove it; grant buckets through clusters.${clusterKey}.accessGroups` : "remove it; give users keys through userSecrets.vault");
        }
        for (const list of ["bucketAdminAccess", "bucketReadonlyAccess"] as const) {
            access[list].forEach((b, i) => {
                if (!bucketRef([...accessPath, list, i], b)) return;
                // A bucket policy holds one statement per role and bucket: a second grant would be refused there.
                if (access[list].indexOf(b) < i) {
                    problems.add([...accessPath, list, i], `bucket ${b} is listed twice`, "list it once");
                } else if (list === "bucketReadonlyAccess" && access.bucketAdminAccess.includes(b)) {
                    problems.add([...accessPath, list, i], `bucket ${b} is also in bucketAdminAccess`, "list it in one of them");
                }
            });
        }
        if (access.requestorPays && provider !== "gcp") {
            problems.add([...accessPath, "requestorPays"], `requestorPays applies to gcp clusters only, and ${clusterKey} is ${provider}`,
                "remove it; AWS requester-pays buckets need only the s3 permissions");
        }
        if (access.extraIamPolicy && provider !== "aws") {
            problems.add([...accessPath, "extraIamPolicy"], `extraIamPolicy applies to aws clusters only, and ${clusterKey} is ${provider}`,
                provider === "gcp" ? "remove it; grant GCP roles to the hub's service account instead" : "remove it");
        }
        const identity = hubIdentityName(clusterKey, key);
        if (provider === "gcp" && !GCP_SERVICE_ACCOUNT_ID.test(identity)) {
            problems.add(path, `the hub's GCP service account id "${identity}" has ${identity.length} characters; GCP allows 6–30`,
                identity.length < 6 ? "lengthen the hub key: <cluster>-<hub> needs at least 6 characters"
                    : `shorten the hub key: the cluster and hub keys may total at most 29 characters, ${clusterKey.length} of them being the cluster's`);
        }
        if (provider === "gcp" && identity === nodeServiceAccountId(clusterKey)) {
            problems.add(path, `the hub's GCP service account id "${identity}" is the one cluster ${clusterKey}'s nodes run as`,
                "give the hub another key");
        }
        if (provider === "aws" && identity.length > AWS_ROLE_NAME_MAX) {
            problems.add(path, `the hub's IAM role name "${identity}" has ${identity.length} characters; AWS allows ${AWS_ROLE_NAME_MAX}`,
                "shorten the hub or cluster key");
        }
    }

    const withAccess = new Set([...(access?.bucketAdminAccess ?? []), ...(access?.bucketReadonlyAccess ?? [])]);
    for (const [envName, bucketKey] of Object.entries(hub.bucketEnv)) {
        const envPath = [...path, "bucketEnv", envName];
        if (!ENV_NAME.test(envName)) {
            problems.add(envPath, "is not an environment variable name", "use letters, digits and _, e.g. SCRATCH_BUCKET");
        }
        if (bucketRef(envPath, bucketKey) && (provider === "aws" || provider === "gcp") && !withAccess.has(bucketKey)) {
            problems.add(envPath, `users would get the bucket's URL but no access to bucket ${bucketKey}`,
                `add ${bucketKey} to hubs.${key}.cloudAccess.bucketAdminAccess (or bucketReadonlyAccess)`);
        }
    }
    for (const envName of Object.keys(hub.env)) {
        if (!ENV_NAME.test(envName)) {
            problems.add([...path, "env", envName], "is not an environment variable name", "use letters, digits and _");
        }
    }

    const auth = hub.auth;
    const authPath = [...path, "auth"];
    if (cluster.provider === "ovh") {
        checkOvhHub(key, hub, clusterKey, cluster, path, problems);
    }
    const isLocal = cluster.provider === "kubernetes" && cluster.local;
    if (auth.type === "dummy" && !isLocal) {
        problems.add([...authPath, "type"], "dummy auth lets anyone log in with any password, and is allowed only on a local cluster",
            `use github, oidc, cilogon or shared-password (ephemeral for a public hub), or mark a laptop cluster with clusters.${clusterKey}.local: true`);
    }
    if (auth.type === "github" && !auth.allowAll && !auth.allowedOrganizations?.length && !auth.allowedUsers?.length) {
        problems.add(authPath, "nobody could log in: JupyterHub 5 needs an allow rule",
            "add allowedOrganizations or allowedUsers (or allowAll: true to admit every GitHub user)");
    }
    if (auth.type === "oidc" && !auth.allowAll && !auth.allowedGroups?.length && !auth.allowedUsers?.length) {
        problems.add(authPath, "nobody could log in: JupyterHub 5 needs an allow rule",
            "add allowedGroups or allowedUsers (or allowAll: true to admit every account of the identity provider)");
    }
    if (hub.domain && !hub.contactEmail) {
        problems.add([...path, "contactEmail"], "missing: Let's Encrypt needs a contact address for https on " + hub.domain,
            "add contactEmail (here or in hubDefaults)");
    }
    const vault = hub.userSecrets?.vault;
    if (vault && auth.type !== "oidc") {
        problems.add([...path, "userSecrets", "vault"], `Vault logs users in with their OIDC token, and ${auth.type} auth keeps none`,
            "use auth.type: oidc with the identity provider Vault trusts, or remove userSecrets");
    }
    if (vault && !vault.path.includes("{username}")) {
        problems.add([...path, "userSecrets", "vault", "path"], "has no {username}, so every user would get the same secret",
            "write it like users/{username}/s3");
    }
    checkHubHomes(key, hub, clusterKey, cluster.homeStorage, path, problems);
    checkProfiles(hub, clusterKey, cluster, path, problems);
    checkDaskGateway(hub, clusterKey, cluster, path, problems);
}

const RESOURCE_AMOUNT = {
    cpu: (amount: unknown) => typeof amount === "number" ? amount : undefined,
    memory: bytes,
};

/**
 * A guarantee above its limit: Kubernetes refuses the pod at spawn. The hub's userResources, then its
 * `values.singleuser`, set every user's; a profile's own guarantee or limit is set over those, so each
 * profile is checked with what it inherits.
 */
export function checkResources(hub: HubSpec, sources: ValuesSources, path: readonly PathPart[], problems: Problems): void {
    const singleuser = isPlainObject(hub.values.singleuser) ? hub.values.singleuser : {};
    const fix = "lower the guarantee or raise the limit";
    for (const [resource, amount] of Object.entries(RESOURCE_AMOUNT)) {
        const raw = isPlainObject(singleuser[resource]) ? singleuser[resource] : {};
        const base: { guarantee?: unknown; limit?: unknown } = { ...hub.userResources[resource as keyof typeof RESOURCE_AMOUNT], ...raw };
        const basePath = Object.keys(raw).length ? valuesOrigin(sources, ["singleuser", resource]) : [...path, "userResources", resource];
        const above = (guarantee: unknown, limit: unknown) =>
            (amount(guarantee) ?? 0) > (amount(limit) ?? Infinity);
        if (above(base.guarantee, base.limit)) {
            problems.add(basePath, `guarantee ${base.guarantee} is above limit ${base.limit}`, fix);
        }
        for (const [profileKey, profile] of Object.entries(hub.profiles)) {
            const own: { guarantee?: unknown; limit?: unknown } = profile[resource as keyof typeof RESOURCE_AMOUNT] ?? {};
            if (own.guarantee === undefined && own.limit === undefined) continue;
            const guarantee = own.guarantee ?? base.guarantee;
            const limit = own.limit ?? base.limit;
            if (!above(guarantee, limit)) continue;
            const profilePath = [...path, "profiles", profileKey, resource];
            if (own.guarantee !== undefined && own.limit !== undefined) {
                problems.add(profilePath, "guarantee is above limit", fix);
            } else {
                const inherited = own.limit === undefined ? `limit ${limit}` : `guarantee ${guarantee}`;
                problems.add(profilePath, `guarantee ${guarantee} is above limit ${limit}; the ${inherited} comes from ${formatPath(basePath)}`,
                    own.limit === undefined ? "set the profile's own limit, or lower its guarantee" : "set the profile's own guarantee, or raise its limit");
            }
        }
        // A resource choice is applied over its profile, which is applied over the hub's.
        for (const [profileKey, profile] of Object.entries(hub.profiles)) {
            const inherited = { ...base, ...profile[resource as keyof typeof RESOURCE_AMOUNT] };
            for (const [choiceKey, choice] of Object.entries(profile.options?.resources?.choices ?? {})) {
                const own: { guarantee?: unknown; limit?: unknown } = choice[resource as keyof typeof RESOURCE_AMOUNT] ?? {};
                const guarantee = own.guarantee ?? inherited.guarantee;
                const limit = own.limit ?? inherited.limit;
                if ((own.guarantee !== undefined || own.limit !== undefined) && above(guarantee, limit)) {
                    problems.add([...path, "profiles", profileKey, "options", "resources", "choices", choiceKey, resource],
                        `guarantee ${guarantee} is above limit ${limit}`, "give the choice a guarantee at or below its limit");
                }
            }
        }
    }
}

/**
 * Names the clouds keep unique: IAM role names in an AWS account, service-account ids in a GCP project,
 * and the host names hubs answer on.
 */
export function checkFleetNames(clusters: Record<string, ClusterSpec>, hubs: Record<string, HubSpec>, problems: Problems): void {
    const roles = new Map<string, string>();
    for (const [key, cluster] of Object.entries(clusters)) {
        if (cluster.provider !== "aws") continue;
        for (const suffix of AWS_CLUSTER_ROLE_SUFFIXES) roles.set(`${key}-${suffix}`, `the ${suffix} role of cluster ${key}`);
    }
    const serviceAccounts = new Map<string, string>();
    const domains = new Map<string, string>();
    for (const [key, hub] of Object.entries(hubs)) {
        if (hub.domain) {
            const other = domains.get(hub.domain);
            if (other) {
                problems.add(["hubs", key, "domain"], `${hub.domain} is also the domain of hubs.${other}`, "give each hub its own host name");
            }
            domains.set(hub.domain, key);
        }
        const cluster = clusters[hub.cluster];
        if (!cluster || !hub.cloudAccess) continue;
        const identity = hubIdentityName(hub.cluster, key);
        if (cluster.provider === "aws") {
            const other = roles.get(identity);
            if (other) {
                problems.add(["hubs", key], `the hub's IAM role name "${identity}" is also ${other}`,
                    "IAM role names are unique in an AWS account: rename one of them");
            }
            roles.set(identity, `the role of hubs.${key}`);
        }
        if (cluster.provider === "gcp") {
            const account = `${cluster.project}/${identity}`;
            const other = serviceAccounts.get(account);
            if (other) {
                problems.add(["hubs", key], `the hub's GCP service account id "${identity}" is also the one of hubs.${other} in project ${cluster.project}`,
                    "service account ids are unique in a GCP project: rename one of the hubs");
            }
            serviceAccounts.set(account, key);
        }
    }
}

export function checkHubSecrets(key: string, hub: HubSpec, secrets: HubSecretsSpec | undefined, problems: Problems): void {
    if (OAUTH_AUTH_TYPES.includes(hub.auth.type) && !secrets?.auth?.clientSecret) {
        problems.add(["hubSecrets", key, "auth", "clientSecret"], `missing: ${hub.auth.type} auth needs the OAuth client secret`,
            `run: ${secretCommand(`hubSecrets.${key}.auth.clientSecret`, "<client secret>")}`);
    }
    if (hub.database?.type === "postgres" && !secrets?.database?.url) {
        problems.add(["hubSecrets", key, "database", "url"], "missing: an external postgres database needs its URL",
            `run: ${secretCommand(`hubSecrets.${key}.database.url`, "postgresql://user:password@host:5432/jupyterhub")}`);
    }
    if (secrets?.database && !hub.database) {
        problems.add(["hubSecrets", key, "database"], "a database URL is set but the hub uses its own SQLite database",
            `add database: { type: postgres } to hubs.${key}, or remove the secret`);
    }
}
