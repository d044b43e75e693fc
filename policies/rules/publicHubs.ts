/**
 * Public hubs: anyone who visits gets a temporary user and a server (tmpauthenticator), so everything the
 * hub holds reaches strangers. A stack lists its public hubs in `publicHubs` of z2jh-auth-restricted, and a
 * listed hub must be contained: nothing stored, servers culled when idle and after a maximum age, capped CPU
 * and memory, served over https, and no cloud identity or keys in its namespace.
 */
import { ResourceFacts, at } from "./common";

/** tmpauthenticator's entry point (`tmp`, its setup.py) or its class path. */
const TEMPORARY_USERS = /^(tmp|tmpauthenticator(\.TmpAuthenticator)?)$/i;

/** Whether anyone visiting the hub gets a user: the temporary-user authenticator. */
export function hasTemporaryUsers(values: unknown): boolean {
    return TEMPORARY_USERS.test(String(at(values, "hub.config.JupyterHub.authenticator_class") ?? ""));
}

/** Whether the hub's login is a shared password: its allow_all admits any name with the (secret) password, not any account. */
export function hasSharedPassword(values: unknown): boolean {
    return /^(shared-password|jupyterhub\.authenticators\.shared\.SharedPasswordAuthenticator)$/
        .test(String(at(values, "hub.config.JupyterHub.authenticator_class") ?? ""));
}

/**
 * `allow_all: true` per identity provider, which admits every account of that provider: CILogon's `idps`
 * (oauthenticator 17.4) and its deprecated name `allowed_idps`, in any section.
 */
export function identityProvidersOpenToAll(values: unknown): string[] {
    return Object.entries(at(values, "hub.config") ?? {}).flatMap(([section, traits]) =>
        ["idps", "allowed_idps"].flatMap(trait => Object.entries(at(traits, trait) ?? {})
            .filter(([, idp]) => at(idp, "allow_all") === true)
            .map(([entityId]) => `hub.config.${section}.${trait}["${entityId}"].allow_all`)));
}

/** What a listed public hub's values lack to keep a visitor's server contained, each as `<path> <problem>`. */
export function publicHubProblems(values: unknown): string[] {
    const problems: string[] = [];
    const storage = at(values, "singleuser.storage.type");
    if (storage !== "none") problems.push(`singleuser.storage.type is ${JSON.stringify(storage ?? "dynamic")} (set storage: none)`);
    const positive = (path: string) => typeof at(values, path) === "number" && at(values, path) > 0;
    if (at(values, "cull.enabled") !== true || !positive("cull.timeout") || !positive("cull.maxAge")) {
        problems.push("cull needs enabled, timeout and maxAge (the hub's culling)");
    }
    for (const path of ["singleuser.cpu.limit", "singleuser.memory.limit"]) {
        const limit = at(values, path);
        if (limit === undefined || limit === null) problems.push(`${path} is unset (set userResources)`);
    }
    const proxyHttps = at(values, "proxy.https.enabled") === true && (at(values, "proxy.https.hosts") ?? []).length > 0;
    const ingressTls = at(values, "ingress.enabled") === true && (at(values, "ingress.tls") ?? []).length > 0;
    if (!proxyHttps && !ingressTls) problems.push("no https (set the hub's domain)");
    return problems;
}

/** Annotations that give a service account a cloud identity (EKS IRSA, GKE Workload Identity). */
const IDENTITY_ANNOTATIONS = ["eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account"];
/** The Secret of platform files (per-user S3 keys on OVH) the hub reads (components/hub.ts). */
const PLATFORM_FILES_SECRET = "fleet-platform-files";

/** Cloud identities and keys a resource puts in one of `publicHubs`' namespaces (namespace = hub key). */
export function publicNamespaceProblems(resource: ResourceFacts, publicHubs: readonly string[]): string[] {
    const metadata = resource.props.metadata;
    const namespace = at(metadata, "namespace");
    if (typeof namespace !== "string" || !publicHubs.includes(namespace)) return [];
    if (resource.type === "kubernetes:core/v1:ServiceAccount") {
        return IDENTITY_ANNOTATIONS.filter(key => (at(metadata, "annotations") ?? {})[key] !== undefined)
            .map(key => `service account ${at(metadata, "name")} carries ${key}, a cloud identity every visitor of public hub ${namespace} ` +
                `could use: remove cloudAccess from hubs.${namespace}`);
    }
    if (resource.type === "kubernetes:core/v1:Secret" && at(metadata, "name") === PLATFORM_FILES_SECRET) {
        return [`Secret ${PLATFORM_FILES_SECRET} hands the cluster's S3 keys to public hub ${namespace}, where every visitor ` +
            "can read them: run the public hub on a cluster without accessGroups"];
    }
    return [];
}
