/**
 * The Zero to JupyterHub release of each hub keeps the fleet's security defaults (DESIGN.md, "Security
 * defaults"), whatever a hub's raw `values` escape hatch says. These rules read the release's public
 * values; the secret values file holds only credentials.
 *
 * Cloud metadata: a release cannot tell which cloud it runs on, but its Kubernetes provider can: platform
 * components create the provider as their child, so the provider's URN carries `jupyterhub:gcp:Cluster`.
 * User pods may reach the metadata address only there, because GKE Workload Identity serves credentials
 * from the GKE metadata server at that address; `gke-metadata-concealed` makes sure that is the server
 * they reach, not the node's. Everywhere else (EKS IRSA uses a projected token) it stays blocked, and on
 * EKS by the iptables rule itself, since network policies hold there only when the VPC CNI enforces them.
 */
import { ResourceFacts, at, label, platformOf, resourceRule, stackOf } from "./common";
import { hasSharedPassword, hasTemporaryUsers, identityProvidersOpenToAll, publicHubProblems, publicNamespaceProblems } from "./publicHubs";

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";
const GKE_NODE_POOL_TYPE = "gcp:container/nodePool:NodePool";
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** The z2jh releases among resources; other helm releases are not ours to judge. */
export function isHubRelease(resource: ResourceFacts): boolean {
    return resource.type === RELEASE_TYPE && resource.props.chart === "jupyterhub";
}

export function releaseLabel(resource: ResourceFacts): string {
    return resource.props.name ? `${label(resource)} (hub ${resource.props.name})` : label(resource);
}

/** Where an operator changes a value: the hub's raw values in the stack file. */
function valuesFix(resource: ResourceFacts, path: string): string {
    return `remove ${path} from hubs.${resource.props.name ?? "<hub>"}.values (or hubDefaults.values)`;
}

export const z2jhChartPinned = resourceRule({
    name: "z2jh-chart-pinned",
    description: "Hub releases install an exact z2jh chart version, so a preview and an up install the same chart.",
    enforcementLevel: "mandatory",
    check: resource => {
        if (!isHubRelease(resource)) return [];
        const version = resource.props.version;
        return typeof version === "string" && EXACT_VERSION.test(version) ? []
            : [`${releaseLabel(resource)} installs chart version ${version ?? "(latest)"}: set chartVersion to an exact version such as 4.4.2`];
    },
});

/** The chart's network policies, each for its own pods: the hub, the two proxies, and the user servers. */
export const NETWORK_POLICY_PATHS = [
    "hub.networkPolicy.enabled", "proxy.chp.networkPolicy.enabled", "proxy.traefik.networkPolicy.enabled", "singleuser.networkPolicy.enabled",
];

export interface NetworkPolicyConfig {
    /** Hubs (release names) reviewed to run without some of the chart's network policies. */
    readonly allowHubs: string[];
}

export const z2jhNetworkPolicy = resourceRule<NetworkPolicyConfig>({
    name: "z2jh-network-policy",
    description: "Hub releases enable the chart's network policies for the hub, both proxies and user servers.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { allowHubs: { type: "array", items: { type: "string" }, default: [] } } },
    check: (resource, config) => {
        if (!isHubRelease(resource) || (config.allowHubs ?? []).includes(resource.props.name)) return [];
        // Explicitly true, as the fleet sets them: the chart's defaults (true in 4.4) are not a reviewed fact of the release.
        const off = NETWORK_POLICY_PATHS.filter(path => at(resource.props.values, path) !== true);
        if (off.length === 0) return [];
        const hub = resource.props.name ?? "<hub>";
        return [`${releaseLabel(resource)} runs without ${off.map(path => `${path} (${JSON.stringify(at(resource.props.values, path)) ?? "unset"})`)
            .join(", ")}, so those pods accept and open connections to every pod and service of the cluster: set each to true ` +
            `(remove the override from hubs.${hub}.values or hubDefaults.values), or if the hub needs it, add "${hub}" to ` +
            `allowHubs of z2jh-network-policy in policies/config/${stackOf(resource.urn)}.json`];
    },
});

export const z2jhCullerOn = resourceRule({
    name: "z2jh-culler-on",
    description: "The idle culler stops idle user servers.",
    enforcementLevel: "mandatory",
    check: resource => isHubRelease(resource) && at(resource.props.values, "cull.enabled") === false
        ? [`${releaseLabel(resource)} disables the idle culler, so idle servers run (and bill) forever: ` +
            `${valuesFix(resource, "cull.enabled: false")}; tune cull.timeout instead`]
        : [],
});

export interface AuthConfig {
    /** Stacks that run on laptops, where dummy auth and open sign-up are fine. */
    readonly localStacks: string[];
    /** Hubs (release names) whose openness was reviewed: allow_all is their documented intent. */
    readonly allowAllHubs: string[];
    /** Hubs (release names) reviewed to be public: any visitor gets a temporary user and a contained server. */
    readonly publicHubs: string[];
}

export const z2jhAuthRestricted = resourceRule<AuthConfig>({
    name: "z2jh-auth-restricted",
    description: "Outside local stacks, hubs use a real authenticator and do not let every account in; a public hub " +
        "(temporary users) is listed in publicHubs and keeps nothing, ends its servers, caps them and uses https.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            localStacks: { type: "array", items: { type: "string" }, default: ["local"] },
            allowAllHubs: { type: "array", items: { type: "string" }, default: [] },
            publicHubs: { type: "array", items: { type: "string" }, default: [] },
        },
    },
    check: (resource, config) => {
        const stack = stackOf(resource.urn);
        if ((config.localStacks ?? []).includes(stack)) return [];
        const publicHubs = config.publicHubs ?? [];
        const configFile = `policies/config/${stack}.json`;
        if (!isHubRelease(resource)) return publicNamespaceProblems(resource, publicHubs).map(problem => `${label(resource)}: ${problem}`);
        const problems: string[] = [];
        const values = resource.props.values;
        const hub = resource.props.name;
        const isPublic = publicHubs.includes(hub);
        const authenticator = String(at(values, "hub.config.JupyterHub.authenticator_class") ?? "");
        if (/dummy/i.test(authenticator)) {
            problems.push(`${releaseLabel(resource)} uses the dummy authenticator (any password works) on stack ` +
                `${stack}: set auth.type to github, oidc, cilogon or shared-password`);
        }
        if (hasTemporaryUsers(values) && !isPublic) {
            problems.push(`${releaseLabel(resource)} gives every visitor a temporary user and a server (tmpauthenticator) on stack ` +
                `${stack}: if the hub is meant to be public, add "${hub}" to publicHubs of z2jh-auth-restricted in ${configFile}; ` +
                "otherwise set auth.type to github, oidc, cilogon or shared-password");
        }
        if (isPublic) {
            const uncontained = publicHubProblems(values);
            if (uncontained.length > 0) {
                problems.push(`${releaseLabel(resource)} is a public hub, where anyone runs code, but ${uncontained.join("; ")}: ` +
                    `fix these in hubs.${hub} (remove raw values that override them)`);
            }
        }
        // traitlets applies a subclass's section too: GitHubOAuthenticator.allow_all opens a hub as Authenticator.allow_all does.
        // A shared password is what its hub's allow_all lets in (any name with the password); temporary users are
        // judged above as a public hub, which is open by review.
        const sectionsOpen = hasSharedPassword(values) || hasTemporaryUsers(values) ? [] : Object.entries(at(values, "hub.config") ?? {})
            .filter(([, section]) => (section as { allow_all?: unknown } | null)?.allow_all === true)
            .map(([section]) => `hub.config.${section}.allow_all`);
        const open = isPublic ? [] : [...sectionsOpen, ...identityProvidersOpenToAll(values)];
        if (open.length > 0 && !(config.allowAllHubs ?? []).includes(hub)) {
            problems.push(`${releaseLabel(resource)} sets ${open.join(", ")}, so anyone with an account at the identity provider can ` +
                `log in: restrict it with allowedOrganizations, allowedGroups, allowedDomains or allowedUsers, or if it is meant to be open, ` +
                `add "${hub}" to allowAllHubs of z2jh-auth-restricted in ${configFile}`);
        }
        return problems;
    },
});

/** Host names the hub answers on, from the values that carry them. */
function hubHosts(values: unknown): string[] {
    const callbacks = Object.values(at(values, "hub.config") ?? {})
        .map(section => (section as { oauth_callback_url?: unknown } | null)?.oauth_callback_url)
        .filter((url): url is string => typeof url === "string")
        .map(url => /^[a-z]+:\/\/([^/:]+)/.exec(url)?.[1])
        .filter((host): host is string => !!host);
    return [...new Set([...(at(values, "proxy.https.hosts") ?? []), ...(at(values, "ingress.hosts") ?? []), ...callbacks])];
}

export const z2jhHttps = resourceRule({
    name: "z2jh-https",
    description: "A hub with a domain serves it over https (the proxy's Let's Encrypt, or an ingress with TLS).",
    enforcementLevel: "mandatory",
    check: resource => {
        if (!isHubRelease(resource)) return [];
        const values = resource.props.values;
        const hosts = hubHosts(values);
        if (hosts.length === 0) return [];
        const problems: string[] = [];
        const proxyHttps = at(values, "proxy.https.enabled") === true && (at(values, "proxy.https.hosts") ?? []).length > 0;
        const ingressTls = at(values, "ingress.enabled") === true && (at(values, "ingress.tls") ?? []).length > 0;
        if (!proxyHttps && !ingressTls) {
            problems.push(`${releaseLabel(resource)} answers on ${hosts.join(", ")} without https: set the hub's domain ` +
                "(proxy.https with Let's Encrypt) and do not override proxy.https.enabled, or enable ingress with tls");
        }
        const plainCallbacks = Object.entries(at(values, "hub.config") ?? {})
            .filter(([, section]) => /^http:\/\//.test(String((section as { oauth_callback_url?: unknown } | null)?.oauth_callback_url ?? "")))
            .map(([name]) => name);
        if (plainCallbacks.length > 0) {
            problems.push(`${releaseLabel(resource)} sends OAuth callbacks over http (${plainCallbacks.join(", ")}): ` +
                "use an https oauth_callback_url");
        }
        return problems;
    },
});

/** Whether user pods can reach 169.254.169.254: iptables block off and the network policy letting it through. */
export function metadataReachable(values: unknown): boolean {
    if (at(values, "singleuser.cloudMetadata.blockWithIptables") !== false) return false;
    return at(values, "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer") === true
        || at(values, "singleuser.networkPolicy.enabled") === false;
}

export const z2jhCloudMetadata = resourceRule({
    name: "z2jh-cloud-metadata",
    description: "User pods cannot reach the cloud metadata endpoint, except on GKE where Workload Identity serves credentials there; " +
        "on EKS the iptables block stays on whatever the network policy says.",
    enforcementLevel: "mandatory",
    check: resource => {
        if (!isHubRelease(resource)) return [];
        const platform = platformOf(resource.provider?.urn);
        const fix = "set singleuser.cloudMetadata.blockWithIptables: true and " +
            "singleuser.networkPolicy.egressAllowRules.cloudMetadataServer: false (the platform's cloudMetadata: \"block\")";
        // EKS enforces network policies only when the VPC CNI's network policy agent is on (an add-on
        // setting), so there the iptables block is the guard that holds whatever the cluster's add-ons say.
        if (platform === "aws" && at(resource.props.values, "singleuser.cloudMetadata.blockWithIptables") !== true) {
            return [`${releaseLabel(resource)} turns off the iptables block of the metadata endpoint on an aws cluster, where ` +
                `only it keeps user pods from the node role's credentials: ${fix}`];
        }
        if (platform === "gcp" || !metadataReachable(resource.props.values)) return [];
        const where = platform ? `a ${platform} cluster` : "a cluster this policy cannot place on GKE (its provider is not a jupyterhub:gcp:Cluster child)";
        return [`${releaseLabel(resource)} lets user pods reach the cloud metadata endpoint on ${where}, exposing node ` +
            `credentials: ${fix}`];
    },
});

export const gkeMetadataConcealed = resourceRule({
    name: "gke-metadata-concealed",
    description: "GKE node pools serve pods the GKE metadata server (Workload Identity), never the node's own credentials.",
    enforcementLevel: "mandatory",
    check: resource => resource.type === GKE_NODE_POOL_TYPE && at(resource.props, "nodeConfig.workloadMetadataConfig.mode") !== "GKE_METADATA"
        ? [`${label(resource)} lets pods read the node's metadata (and its service account's token): ` +
            "set nodeConfig.workloadMetadataConfig.mode: \"GKE_METADATA\""]
        : [],
});
