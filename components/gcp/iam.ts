/**
 * Pure IAM rules for GCP hubs: Workload Identity members, which role each bucket grant gets, and the
 * project role requester pays needs. No resources here, so the rules are tested without mocks.
 */
import { CloudAccessSpec } from "../config";
import { USER_SERVICE_ACCOUNT } from "../platform";

export const WORKLOAD_IDENTITY_USER_ROLE = "roles/iam.workloadIdentityUser";
/** Read, write and delete objects (the 2i2c `bucket_admin_access` grant). */
export const BUCKET_ADMIN_ROLE = "roles/storage.admin";
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
        ...access.bucketAdminAccess.map(bucketKey => ({ bucketKey, role: BUCKET_ADMIN_ROLE })),
        ...access.bucketReadonlyAccess.map(bucketKey => ({ bucketKey, role: BUCKET_READONLY_ROLE })),
    ];
}
