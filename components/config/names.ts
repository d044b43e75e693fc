/**
 * Names: the config's own keys, and the rules for every name the fleet derives from a config key. Each rule
 * exists because a cloud refuses longer or odder names, and the refusal would otherwise come halfway
 * through an `up`.
 */

export const CONFIG_NAMESPACE = "jupyterhub-fleet";
/** The project's config keys (`jupyterhub-fleet:<key>`). */
export const FLEET_CONFIG_KEYS = ["clusters", "hubDefaults", "hubs", "hubSecrets", "hubSecretDefaults", "clusterSecrets"] as const;
export const PROVIDERS = ["aws", "gcp", "ovh", "kubernetes"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const CLUSTER_KEY = /^[a-z][a-z0-9-]*[a-z0-9]$/;
export const MAX_CLUSTER_KEY_LENGTH = 20;
/** Hub key = namespace = helm release name: an RFC 1123 DNS label. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_HUB_KEY_LENGTH = 63;
/** The hub key is also its helm release name, which helm limits to 53 characters. */
export const HELM_RELEASE_NAME_MAX = 53;
/** Namespaces Kubernetes and OpenShift keep for themselves: `default`, `kube-*`, `openshift`, `openshift-*`. */
export const RESERVED_NAMESPACE = /^(default|openshift|kube-.*|openshift-.*)$/;
/** S3 / GCS / OVH bucket names. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** S3, GCS and OVH refuse bucket names shaped like an IP address. */
export const IPV4_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;
/** GitHub logins, lowercased (access groups are keyed by hub username, which GitHub auth lowercases). */
export const GITHUB_LOGIN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const EXACT_SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
export const GCP_SERVICE_ACCOUNT_ID = /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$/;
export const AWS_ROLE_NAME_MAX = 64;
/** The IAM roles each AWS cluster creates for itself, named `<cluster>-<suffix>` (components/aws/cluster.ts). */
export const AWS_CLUSTER_ROLE_SUFFIXES = ["autoscaler", "efs-csi"] as const;

/**
 * Why the cloud would refuse a bucket name that has the right shape, if it would. Sources: "General purpose
 * bucket naming rules" (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html) and "Bucket
 * name requirements" (cloud.google.com/storage/docs/buckets#naming).
 */
export function reservedBucketName(name: string, provider: ProviderName): string | undefined {
    if (provider === "aws") {
        const prefix = ["xn--", "sthree-", "amzn-s3-demo-"].find(p => name.startsWith(p));
        if (prefix) return `S3 reserves the prefix ${prefix}`;
        const suffix = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"].find(s => name.endsWith(s));
        if (suffix) return `S3 reserves the suffix ${suffix}`;
    }
    if (provider === "gcp") {
        if (name.startsWith("goog")) return "Cloud Storage refuses names that begin with goog";
        if (/g[o0]{2}gle/.test(name)) return "Cloud Storage refuses names that contain google or a close misspelling of it";
    }
    return undefined;
}

/** The full name of a bucket: globally unique clouds get the cluster prefix, OVH and existing storage don't. */
export function bucketFullName(clusterKey: string, provider: ProviderName, bucketKey: string, bucket: { readonly name?: string }): string {
    if (bucket.name) return bucket.name;
    return provider === "aws" || provider === "gcp" ? `${clusterKey}-${bucketKey}` : bucketKey;
}

/** Name of the per-hub cloud identity: the IAM role on AWS, the service account id on GCP. */
export function hubIdentityName(clusterKey: string, hubKey: string): string {
    return `${clusterKey}-${hubKey}`;
}
