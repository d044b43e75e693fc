/**
 * Pure IAM rules for GCP hubs: Workload Identity members, which role each bucket grant gets, and the
 * project role requester pays needs. No resources here, so the rules are tested without mocks.
 */
import { CloudAccessSpec } from "../config";
import { USER_SERVICE_ACCOUNT } from "../platform";

export const WORKLOAD_IDENTITY_USER_ROLE = "roles/iam.workloadIdentityUser";
/**
 * `bucketAdminAccess`: list, read, write and delete objects, and nothing on the bucket itself. 2i2c grants
 * `roles/storage.admin` here, which also lets users delete the bucket, change its IAM policy and settings
 * (storage.buckets.*; Cloud Storage docs, "IAM roles for Cloud Storage").
 */
export const BUCKET_READWRITE_ROLE = "roles/storage.objectUser";
/** `bucketReadonlyAccess`: list and read objects. */
export const BUCKET_READONLY_ROLE = "roles/storage.objectViewer";
/** Holds `serviceusage.services.use`, which billing a requester-pays request to a project needs. */
export const REQUESTOR_PAYS_ROLE = "roles/serviceusage.serviceUsageConsumer";

/** The cluster's Workload Identity pool: one per project, shared by every GKE cluster in it. */
export function workloadPool(project: string): string {
    return `${project}.svc.id.goog`;
}

/** The IAM member for a Kubernetes service account under Workload Identity. */
export function workloadIdentityMember(project: string, namespace: string, serviceAccount = USER_SERVICE_ACCOUNT): string {
    return `serviceAccount:${workloadPool(project)}[${namespace}/${serviceAccount}]`;
}

export function serviceAccountMember(email: string): string {
    return `serviceAccount:${email}`;
}

export interface BucketGrant {
    readonly bucketKey: string;
    readonly role: string;
}

/** One grant per bucket the hub may use; config validation keeps a bucket out of both lists. */
export function bucketGrants(access: CloudAccessSpec): BucketGrant[] {
    return [
        ...access.bucketAdminAccess.map(bucketKey => ({ bucketKey, role: BUCKET_READWRITE_ROLE })),
        ...access.bucketReadonlyAccess.map(bucketKey => ({ bucketKey, role: BUCKET_READONLY_ROLE })),
    ];
}

/**
 * Project roles of the service account a cluster's nodes run as: GKE's documented minimum for node service
 * accounts (logs, metrics, the autoscaler's metrics; GKE docs, "Configure GKE node service accounts"), and
 * image pulls from the project's Artifact Registry, as Google's terraform-google-kubernetes-engine module
 * grants its node accounts (sa.tf). Keyed by the name each grant's resource takes.
 */
export const NODE_ROLES: Readonly<Record<string, string>> = {
    "default-node": "roles/container.defaultNodeServiceAccount",
    "artifact-reader": "roles/artifactregistry.reader",
};
