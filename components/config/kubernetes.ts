/** Existing clusters (`provider: kubernetes`, OpenShift included): schema, kubeconfig, and their own rules. */
import { isIP } from "net";
import * as posix from "path/posix";
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { isPlainObject } from "../util";
import { bucketSchema, clusterRenamedFrom } from "./clusterFields";
import { PathPart, Problems } from "./errors";
import { WithHome } from "./homeStorage";
import { DNS_LABEL } from "./names";
import { operationsFields } from "./operations";

const extraMountSchema = z.strictObject({
    name: z.string().regex(DNS_LABEL, { error: "must be a lowercase DNS label such as scratch" }),
    server: z.string().min(1),
    path: z.string().regex(/^\//, { error: "must be an absolute export path" }),
    mountPath: z.string().regex(/^\//, { error: "must be an absolute path in the user's container" }),
    readOnly: z.boolean().default(false),
});
export type ExtraMountSpec = z.infer<typeof extraMountSchema>;

/** An IPv4 or IPv6 CIDR block: an address and a prefix length that fits it. */
function isCidr(value: string): boolean {
    const [address, prefix, ...rest] = value.split("/");
    const version = isIP(address);
    return version !== 0 && rest.length === 0 && /^\d{1,3}$/.test(prefix ?? "") && Number(prefix) <= (version === 4 ? 32 : 128);
}

export const kubernetesClusterSchema = z.strictObject({
    provider: z.literal("kubernetes"),
    /** kubeconfig context; the current context when neither this nor clusterSecrets.<cluster>.kubeconfig is set. */
    context: z.string().min(1).optional(),
    /** A laptop cluster (kind, minikube, k3d): the only place `dummy` auth is allowed. */
    local: z.boolean().default(false),
    /**
     * OpenShift: an SCC for each hub's user service account, the stock nonroot-v2 for the chart's own
     * accounts, and user egress to OpenShift's DNS (port 5353).
     */
    openshift: z.boolean().default(false),
    /**
     * S3-compatible storage endpoint (Ceph, MinIO), exported to users as AWS_ENDPOINT_URL_S3. Users may
     * reach it when its host is a private IP; a hostname at a private address goes in privateEgress.
     */
    s3Endpoint: z.url().optional(),
    /**
     * CIDR blocks user servers may reach on any port, although z2jh's user network policy blocks private
     * addresses: the addresses of services named by hostname (an S3 endpoint), which cannot be resolved
     * at plan time.
     */
    privateEgress: z.array(z.string().refine(isCidr, { error: "must be a CIDR block such as 10.20.0.0/24 or 10.20.0.5/32" })).default([]),
    extraMounts: z.array(extraMountSchema).default([]),
    homeStorage: z.unknown().optional(),
    buckets: z.record(z.string(), bucketSchema).default({}),
    renamedFrom: clusterRenamedFrom.optional(),
    ...operationsFields,
});
export type KubernetesClusterSpec = WithHome<z.infer<typeof kubernetesClusterSchema>>;

export function checkKubernetesCluster(cluster: KubernetesClusterSpec, path: readonly PathPart[], problems: Problems): void {
    if (!cluster.local && cluster.homeStorage.type === "dynamic" && !cluster.homeStorage.storageClass) {
        // Nothing here knows what the cluster's default class does, and most delete a volume with its claim.
        problems.add([...path, "homeStorage", "storageClass"], "dynamic homes on an existing cluster need a named storage class",
            "name one whose reclaimPolicy is Retain (the deployment checks it), or use homeStorage: { type: nfs, … }");
    }
    if (cluster.homeStorage.type === "nfs-server" && !cluster.homeStorage.storageClass) {
        // The fleet makes no disks on a cluster it did not make: each hub's volume is a claim from the site's class.
        problems.add([...path, "homeStorage", "storageClass"], "nfs-server homes on an existing cluster need a named storage class for each hub's volume",
            "name one whose reclaimPolicy is Retain (the deployment checks it; with quotas it must make XFS volumes mounted with pquota: docs/homes.md)");
    }
    if (cluster.homeStorage.type === "nfs-server" && cluster.openshift) {
        // jupyterhub-home-nfs 1.2.0 templates/deployment.yaml: every container is `privileged: true`.
        problems.add([...path, "homeStorage", "type"], "the nfs-server chart runs privileged containers (nfs-ganesha, xfs_quota), which OpenShift admits only under the privileged SCC",
            "use homeStorage: { type: nfs, … } with the site's NFS server");
    }
    if (Object.keys(cluster.buckets).length > 0 && !cluster.s3Endpoint) {
        problems.add([...path, "buckets"], "buckets on an existing cluster need the S3 endpoint that serves them",
            "add s3Endpoint: https://… to the cluster");
    }
    const seen = new Set<string>();
    const mountPaths = new Set<string>();
    cluster.extraMounts.forEach((mount, i) => {
        if (seen.has(mount.name)) {
            problems.add([...path, "extraMounts", i, "name"], `mount name "${mount.name}" is used twice`, "give each mount its own name");
        }
        seen.add(mount.name);
        const mountPath = posix.normalize(mount.mountPath).replace(/(.)\/$/, "$1");
        const at = [...path, "extraMounts", i, "mountPath"];
        if (mountPath === HOME_MOUNT_PATH) {
            problems.add(at, "would hide the user's home directory", "mount it elsewhere, e.g. /scratch");
        } else if (mountPath.startsWith(`${HOME_MOUNT_PATH}/`)) {
            problems.add(at, `is inside the user's home directory ${HOME_MOUNT_PATH}, which is the user's own volume`,
                "mount it elsewhere, e.g. /scratch");
        }
        if (mountPaths.has(mountPath)) {
            problems.add(at, `mount path ${mountPath} is used twice`, "give each mount its own mountPath");
        }
        mountPaths.add(mountPath);
    });
}

/** Where z2jh mounts each user's home (the chart's singleuser.storage.homeMountPath default). */
const HOME_MOUNT_PATH = "/home/jovyan";

/** A kubeconfig in clusterSecrets must parse and hold the context the cluster names (or a current one). */
export function checkKubeconfig(key: string, cluster: KubernetesClusterSpec, kubeconfig: string | undefined, problems: Problems): void {
    if (!kubeconfig) return;
    const path = ["clusterSecrets", key, "kubeconfig"];
    let parsed: unknown;
    try {
        parsed = parseYaml(kubeconfig);
    } catch (error) {
        problems.add(path, `does not parse as YAML (${(error as Error).message.split("\n")[0]})`,
            `set the whole file: pulumi config set --secret --path '${path.join(".")}' < kubeconfig.yaml`);
        return;
    }
    const contexts = isPlainObject(parsed) && Array.isArray(parsed.contexts)
        ? parsed.contexts.map(c => isPlainObject(c) ? String(c.name) : "") : undefined;
    if (!contexts || !isPlainObject(parsed) || !Array.isArray(parsed.clusters)) {
        problems.add(path, "is not a kubeconfig (no clusters or contexts list)",
            `set the whole file: pulumi config set --secret --path '${path.join(".")}' < kubeconfig.yaml`);
        return;
    }
    if (cluster.context && !contexts.includes(cluster.context)) {
        problems.add(["clusters", key, "context"], `context "${cluster.context}" is not in clusterSecrets.${key}.kubeconfig`,
            `use one of: ${contexts.join(", ")}`);
    }
    if (!cluster.context && typeof parsed["current-context"] !== "string") {
        problems.add(path, "has no current-context, and clusters." + key + ".context is not set",
            `set clusters.${key}.context to one of: ${contexts.join(", ")}`);
    }
}

export const clusterSecretsSchema = z.strictObject({
    /** A whole kubeconfig file for an existing cluster. */
    kubeconfig: z.string().min(1).optional(),
    /** Grafana's OAuth client secret (clusters.<key>.monitoring.auth), on any provider. */
    grafanaClientSecret: z.string().min(1).optional(),
});
export type ClusterSecretsSpec = z.infer<typeof clusterSecretsSchema>;
