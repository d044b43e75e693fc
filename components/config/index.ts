/**
 * The fleet's stack config: the operator's interface (DESIGN.md, "Stack config"). The key names are a
 * contract with their stack files and runbooks. Where each part lives:
 *
 * - loader.ts       parseFleetConfig (pure) and loadFleetConfig (reads the stack's config)
 * - errors.ts       FleetConfigError and its `<key path>: <what is wrong> (<how to fix>)` lines
 * - parse.ts        zod issues turned into such lines (typos named, fields of another provider named)
 * - names.ts        config keys and the cloud's name rules (lengths, patterns, derived names)
 * - hub.ts          hub, auth, profile and hubSecrets schemas
 * - clusters.ts     the schema per provider and the rules every cluster shares (node pools, buckets)
 * - aws.ts gcp.ts ovh.ts kubernetes.ts   each provider's schema and its own rules
 * - clusterFields.ts, homeStorage.ts     schema pieces the providers share
 * - checks.ts       rules across entries: a hub against its cluster, hubSecrets, fleet-wide names, resources
 * - auth.ts         rules of each auth type: public hubs, shared passwords, CILogon providers, hubSecretDefaults
 * - cidr.ts         CIDR blocks of a cluster's network
 * - values.ts       rules for a hub's raw z2jh values: no secrets, no undoing of typed fields
 * - chartValues.ts  raw values against the chart version's values schema (charts/jupyterhub)
 */
export type { AwsClusterSpec } from "./aws";
export { nodePoolPurpose } from "./clusterFields";
export { bytes as memoryBytes } from "./compute";
export type { BucketSpec, NodePoolSpec, NodePoolPurpose, TaintSpec, GpuSpec } from "./clusterFields";
export type { ClusterSpec } from "./clusters";
export { FleetConfigError, formatPath } from "./errors";
export type { GcpClusterSpec } from "./gcp";
export { FILESTORE_MIN_CAPACITY_GB, HOME_STORAGE_TYPES } from "./homeStorage";
export type { HomeStorageSpec, NfsServerHomeSpec } from "./homeStorage";
export { DEFAULT_CHART_VERSION, OAUTH_AUTH_TYPES, profileGroups } from "./hub";
export type {
    AuthSpec, CilogonAuthSpec, CilogonIdpSpec, CloudAccessSpec, CpuSpec, DaskGatewaySpec, DummyAuthSpec, EphemeralAuthSpec, GithubAuthSpec,
    HubSecretsSpec, HubSpec, MemorySpec, OidcAuthSpec, ProfileSpec, SharedPasswordAuthSpec,
} from "./hub";
export type { ClusterSecretsSpec, ExtraMountSpec, KubernetesClusterSpec } from "./kubernetes";
export { loadFleetConfig, parseFleetConfig } from "./loader";
export type { FleetConfig, ParseOptions, RawFleetConfig } from "./loader";
export { AWS_ROLE_NAME_MAX, bucketFullName, CONFIG_NAMESPACE, FLEET_CONFIG_KEYS, hubIdentityName, MAX_CLUSTER_KEY_LENGTH, PROVIDERS } from "./names";
export type { ProviderName } from "./names";
export { cidrBlock, hubMembers } from "./ovh";
export type { AccessGroupSpec, OvhClusterSpec } from "./ovh";
