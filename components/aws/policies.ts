/**
 * IAM and S3 policy documents for the AWS platform. Pure: plain strings in, deterministic JSON out
 * (`stableJson`), so a preview never shows a diff for a reordered key and tests need no Pulumi runtime.
 */
import { stableJson } from "../util";

export const POLICY_VERSION = "2012-10-17";

/**
 * Read, write and delete objects; list and manage multipart uploads. Not `s3:DeleteObjectVersion`: on a
 * versioned bucket a delete leaves a noncurrent version that an operator can restore until the lifecycle
 * rule expires it (buckets.ts), and a user who could delete versions could purge that history too.
 */
export const S3_ADMIN_ACTIONS: readonly string[] = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetBucketLocation",
    "s3:GetObject",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectTagging",
];

/** List and read objects (the anchors' read-only set). */
export const S3_READONLY_ACTIONS: readonly string[] = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"];

export type BucketAccessLevel = "admin" | "readonly";

/** One bucket a hub may use, by ARN. */
export interface BucketGrant {
    /** The bucket's ARN, `arn:<partition>:s3:::<name>`. */
    readonly bucketArn: string;
    readonly access: BucketAccessLevel;
}

/** One hub's access to a bucket, as seen from the bucket's side. */
export interface BucketPrincipalGrant {
    /** The hub role's ARN, from the role resource. */
    readonly principalArn: string;
    readonly access: BucketAccessLevel;
}

function actionsFor(access: BucketAccessLevel): string[] {
    return [...(access === "admin" ? S3_ADMIN_ACTIONS : S3_READONLY_ACTIONS)];
}

/** Bucket-level actions (ListBucket) match the bucket ARN, object actions the `/*` form: a statement needs both. */
function bucketResources(bucketArn: string): string[] {
    return [bucketArn, `${bucketArn}/*`];
}

/** The issuer as IAM writes it in condition keys: without the scheme. */
export function issuerHost(issuerUrl: string): string {
    return issuerUrl.replace(/^https:\/\//, "");
}

/**
 * Trust policy letting one Kubernetes service account assume a role through IRSA. Both `sub` and `aud`
 * are pinned: without `aud`, a token minted for another audience by the same cluster would be accepted.
 */
export function irsaTrustPolicy(oidcProviderArn: string, issuerUrl: string, namespace: string, serviceAccount: string): string {
    return irsaTrust(oidcProviderArn, issuerUrl, "StringEquals", `system:serviceaccount:${namespace}:${serviceAccount}`);
}

/**
 * IRSA trust for every service account of `namespace` whose name starts with `prefix` (`sub` by StringLike,
 * `aud` still pinned): for an add-on whose controller and node agent run as different accounts, such as the
 * EFS CSI driver's `efs-csi-controller-sa` and `efs-csi-node-sa` (the EKS user guide, "Use elastic file system
 * storage with Amazon EFS", trusts `system:serviceaccount:kube-system:efs-csi-*` with StringLike).
 */
export function irsaPrefixTrustPolicy(oidcProviderArn: string, issuerUrl: string, namespace: string, prefix: string): string {
    // Ending in "-" keeps the prefix to one add-on's accounts ("efs-csi-", not "efs-csi" which also matches "efs-csix").
    if (!/^[a-z0-9][a-z0-9-]*-$/.test(prefix)) {
        throw new Error(`irsaPrefixTrustPolicy: "${prefix}" is not a service account name prefix ending in "-" (the * is added here)`);
    }
    return irsaTrust(oidcProviderArn, issuerUrl, "StringLike", `system:serviceaccount:${namespace}:${prefix}*`);
}

function irsaTrust(oidcProviderArn: string, issuerUrl: string, subjectMatch: "StringEquals" | "StringLike", subject: string): string {
    const issuer = issuerHost(issuerUrl);
    const condition: Record<string, Record<string, string>> = { StringEquals: { [`${issuer}:aud`]: "sts.amazonaws.com" } };
    (condition[subjectMatch] ??= {})[`${issuer}:sub`] = subject;
    return stableJson({
        Version: POLICY_VERSION,
        Statement: [{
            Effect: "Allow",
            Principal: { Federated: oidcProviderArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: condition,
        }],
    });
}

/** Trust policy for a role an AWS service (EKS, EC2) assumes. */
export function serviceTrustPolicy(servicePrincipal: string): string {
    return stableJson({
        Version: POLICY_VERSION,
        Statement: [{ Effect: "Allow", Principal: { Service: servicePrincipal }, Action: "sts:AssumeRole" }],
    });
}

/**
 * A hub role's identity policy for its buckets. Same-account access then works from either side alone,
 * so a bucket policy edited by hand cannot silently cut users off.
 */
export function hubBucketAccessPolicy(grants: readonly BucketGrant[]): string {
    if (grants.length === 0) {
        throw new Error("hubBucketAccessPolicy: no bucket grants (a hub without buckets needs no bucket policy; skip the call)");
    }
    const sorted = [...grants].sort((a, b) => a.bucketArn.localeCompare(b.bucketArn));
    return stableJson({
        Version: POLICY_VERSION,
        Statement: sorted.map(grant => ({
            Effect: "Allow",
            Action: actionsFor(grant.access),
            Resource: bucketResources(grant.bucketArn),
        })),
    });
}

/**
 * The one policy of a bucket: a statement per hub role that uses it, and a deny of plain-HTTP requests.
 * One document per bucket, because S3 keeps one policy per bucket and a second resource would overwrite it.
 */
export function bucketPolicy(bucketArn: string, grants: readonly BucketPrincipalGrant[]): string {
    const principals = new Set<string>();
    for (const grant of grants) {
        if (principals.has(grant.principalArn)) {
            throw new Error(`bucketPolicy: ${grant.principalArn} is granted twice on ${bucketArn}; give each role one access level`);
        }
        principals.add(grant.principalArn);
    }
    const sorted = [...grants].sort((a, b) => a.principalArn.localeCompare(b.principalArn));
    return stableJson({
        Version: POLICY_VERSION,
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: bucketResources(bucketArn),
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            ...sorted.map(grant => ({
                Effect: "Allow",
                Principal: { AWS: grant.principalArn },
                Action: actionsFor(grant.access),
                Resource: bucketResources(bucketArn),
            })),
        ],
    });
}

/**
 * The cluster autoscaler's permissions. It may resize and terminate instances only in the groups EKS tags
 * as this cluster's (`k8s.io/cluster-autoscaler/<cluster>: owned`, set on every managed node group's Auto
 * Scaling group); the read-only calls cannot be scoped by resource. `eks:DescribeNodegroup` gives it the
 * labels and taints of a group scaled to zero, which it needs to scale a user pool up from nothing.
 */
export function clusterAutoscalerPolicy(clusterName: string): string {
    return stableJson({
        Version: POLICY_VERSION,
        Statement: [
            {
                Sid: "ScaleOwnNodeGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
            },
            {
                Sid: "DescribeNodeGroups",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                Resource: "*",
            },
        ],
    });
}

/** The ARN partition of a region: managed policy ARNs differ in GovCloud and China. */
export function partitionOf(region: string): string {
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    if (region.startsWith("cn-")) return "aws-cn";
    return "aws";
}

/** ARN of an AWS managed policy, e.g. `AmazonEKSClusterPolicy` or `service-role/AmazonEFSCSIDriverPolicy`. */
export function managedPolicyArn(region: string, policyPath: string): string {
    return `arn:${partitionOf(region)}:iam::aws:policy/${policyPath}`;
}

/** A bucket's ARN. S3 ARNs carry neither account nor region: the name alone determines it. */
export function bucketArn(region: string, bucketName: string): string {
    return `arn:${partitionOf(region)}:s3:::${bucketName}`;
}
