/**
 * Cloud identities stay narrow (DESIGN.md, "Security defaults"): a hub's role or service account can be
 * assumed by exactly one Kubernetes service account, and no policy document hands out every action, a whole
 * service, a bucket or a role it does not name. Documents are read as IAM reads them (./iamEvaluator.ts,
 * which also says why the pack has its own evaluator), by asking it about requests a narrow document
 * cannot allow.
 */
import { IamStatement, ResourceFacts, asList, iamStatements, label, resourceRule } from "./common";
import { PolicyStatement, Request, actionMatches, decide, stringsOf } from "./iamEvaluator";

const ROLE_TYPE = "aws:iam/role:Role";
const WORKLOAD_IDENTITY_ROLE = "roles/iam.workloadIdentityUser";
const SERVICE_ACCOUNT_MEMBER_TYPE = "gcp:serviceaccount/iAMMember:IAMMember";
const SERVICE_ACCOUNT_BINDING_TYPE = "gcp:serviceaccount/iAMBinding:IAMBinding";
/** `system:serviceaccount:<namespace>:<name>`, no wildcards. */
const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;
/** `serviceAccount:<project>.svc.id.goog[<namespace>/<name>]`, no wildcards. */
const WORKLOAD_IDENTITY_MEMBER = /^serviceAccount:[a-z][-a-z0-9]*[a-z0-9]\.svc\.id\.goog\[[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?\]$/;

/**
 * `system:serviceaccount:kube-system:<prefix>-*` under StringLike: the accounts of one EKS add-on, the only
 * wildcard trust allowed. The EFS CSI driver's controller and node agent run as efs-csi-controller-sa and
 * efs-csi-node-sa with one add-on role (EKS user guide, "Use elastic file system storage with Amazon EFS").
 */
const ADDON_SUBJECT_PREFIX = /^system:serviceaccount:kube-system:[a-z0-9][-a-z0-9]*-\*$/;

/** Problems of one web-identity trust statement: it must pin one service account and the STS audience. */
export function trustStatementProblems(statement: IamStatement): string[] {
    const problems: string[] = [];
    const condition = statement.Condition ?? {};
    const equals = condition.StringEquals ?? {};
    const like = condition.StringLike ?? {};
    const subjectKeys = Object.keys(equals).filter(key => key.endsWith(":sub"));
    const audienceKeys = Object.keys(equals).filter(key => key.endsWith(":aud"));
    const likeSubjects = Object.keys(like).filter(key => key.endsWith(":sub")).flatMap(key => asList(like[key]));
    const addonPrefix = subjectKeys.length === 0 && likeSubjects.length === 1 && ADDON_SUBJECT_PREFIX.test(likeSubjects[0])
        && !Object.keys(like).some(key => key.endsWith(":aud"));
    for (const [operator, entries] of Object.entries(condition)) {
        if (operator === "StringEquals" || (operator === "StringLike" && addonPrefix)) continue;
        if (Object.keys(entries).some(key => key.endsWith(":sub") || key.endsWith(":aud"))) {
            problems.push(`matches sub/aud with ${operator}: use StringEquals`);
        }
    }
    const subjects = subjectKeys.flatMap(key => asList(equals[key]));
    if (!addonPrefix && subjects.length !== 1) {
        problems.push(subjects.length === 0
            ? "has no StringEquals condition on <issuer>:sub, so every service account in the cluster can assume it: " +
                "add \"<issuer>:sub\": \"system:serviceaccount:<namespace>:user-sa\""
            : `lets ${subjects.length} subjects assume it (${subjects.join(", ")}): give each hub its own role with one sub`);
    } else if (!addonPrefix && !SERVICE_ACCOUNT_SUBJECT.test(subjects[0])) {
        problems.push(`trusts sub ${subjects[0]}: pin one service account, "system:serviceaccount:<namespace>:user-sa", without wildcards`);
    }
    const audiences = audienceKeys.flatMap(key => asList(equals[key]));
    if (audiences.length !== 1 || audiences[0] !== "sts.amazonaws.com") {
        problems.push(`has ${audiences.length === 0 ? "no" : `aud ${audiences.join(", ")} as its`} audience condition: ` +
            "add \"<issuer>:aud\": \"sts.amazonaws.com\" under StringEquals");
    }
    return problems;
}

export const irsaTrustPinned = resourceRule({
    name: "irsa-trust-pinned",
    description: "IAM roles assumed through the EKS OIDC provider pin one service account (sub) and the STS audience (aud).",
    enforcementLevel: "mandatory",
    check: resource => {
        if (resource.type !== ROLE_TYPE) return [];
        return (iamStatements(resource.props.assumeRolePolicy) ?? [])
            // IAM matches actions case-insensitively and by wildcard: `STS:AssumeRoleWith*` is a web-identity trust too.
            .filter(statement => statement.Effect !== "Deny"
                && asList(statement.Action).some(action => actionMatches(action, "sts:AssumeRoleWithWebIdentity", "broad")))
            .flatMap(statement => trustStatementProblems(statement).map(problem => `${label(resource)}: its trust policy ${problem}`));
    },
});

export const workloadIdentityPinned = resourceRule({
    name: "workload-identity-pinned",
    description: "Workload Identity grants on Google service accounts name exactly one namespace/serviceaccount each.",
    enforcementLevel: "mandatory",
    check: resource => {
        if (resource.type !== SERVICE_ACCOUNT_MEMBER_TYPE && resource.type !== SERVICE_ACCOUNT_BINDING_TYPE) return [];
        if (resource.props.role !== WORKLOAD_IDENTITY_ROLE) return [];
        const members: string[] = resource.type === SERVICE_ACCOUNT_MEMBER_TYPE ? [resource.props.member] : resource.props.members ?? [];
        const problems = members.filter(member => !WORKLOAD_IDENTITY_MEMBER.test(member ?? "")).map(member =>
            `${label(resource)} lets ${member} impersonate the service account: name one Kubernetes service account, ` +
            "serviceAccount:<project>.svc.id.goog[<namespace>/user-sa]");
        if (members.length > 1) {
            problems.push(`${label(resource)} binds ${members.length} members: use one IAMMember per hub (a binding is authoritative for the role)`);
        }
        return problems;
    },
});

/** Where each type keeps its policy documents. */
function policyDocuments(resource: ResourceFacts): unknown[] {
    switch (resource.type) {
        case ROLE_TYPE:
            return (resource.props.inlinePolicies ?? []).map((inline: { policy?: unknown }) => inline.policy);
        case "aws:iam/policy:Policy":
        case "aws:iam/rolePolicy:RolePolicy":
        case "aws:s3/bucketPolicy:BucketPolicy":
        case "aws:s3/bucket:Bucket":
        case "ovh:CloudProject/s3Policy:S3Policy":
            return resource.props.policy === undefined ? [] : [resource.props.policy];
        default:
            return [];
    }
}

/** A name no fleet document uses, for the resources and actions a document does not name. */
const PROBE = "fleet-policy-probe";
const PROBE_ACCOUNT = "000000000000";
/** One of the account's buckets that the fleet grants to no hub. */
export const OTHER_BUCKET = "some-other-bucket-of-the-account";
const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"];
/**
 * Services where every action on every resource hands over the account's data, identities, secrets or
 * compute; every service a document names is probed too.
 */
const SERVICES = [
    "autoscaling", "dynamodb", "ec2", "ecr", "eks", "elasticfilesystem", "iam", "kms", "lambda", "logs", "organizations", "rds",
    "s3", "secretsmanager", "sns", "sqs", "ssm", "sts",
];
const OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"];
const BUCKET_ACTIONS = ["s3:ListBucket", "s3:DeleteBucket", "s3:PutBucketPolicy"];
/** Handing out, taking on or rewriting a role: any of these on a role a hub does not own escalates its users. */
const ROLE_ACTIONS = ["iam:PassRole", "sts:AssumeRole", "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"];
const S3_ARN = /^arn:[^:]*:s3:::([^/]*)/;
const ROLE_ARN = /^arn:[^:]*:iam::[^:]*:role\//;

/** What a probe asks, for the message. */
type Grant = "every action" | "every action of a service" | "a bucket it does not name" | "a role it does not name";

interface Probe extends Request {
    readonly grant: Grant;
}

/**
 * A resource matched by `pattern`, with each wildcard or policy variable filled in: what a wildcard
 * reaches beyond the names a reviewer reads.
 */
function witness(pattern: string): string {
    return pattern.replace(/\$\{[^}]*\}/g, PROBE).replace(/\*/g, PROBE).replace(/\?/g, "x");
}

/** The service of an ARN (`arn:aws:s3:::b` -> `s3`). */
function serviceOf(arn: string): string {
    return arn.split(":")[2];
}

function hasWildcard(pattern: string): boolean {
    return /[*?]|\$\{/.test(pattern);
}

/**
 * The requests that tell a narrow document from a broad one. Resources it does not name: a probe of each
 * kind in every partition, and a witness of each wildcard pattern, except objects under a named bucket
 * (`arn:aws:s3:::<bucket>/*` is how a bucket is granted). Asked there: an action nobody lists, an unlisted one of each
 * service, reads, writes and deletes in buckets, and role hand-outs. Every action is also asked on the
 * resources it names, where `*` or NotAction would grant actions nobody listed.
 */
function probes(statements: readonly PolicyStatement[]): Probe[] {
    const patterns = statements.flatMap(s => [...stringsOf(s.Resource), ...stringsOf(s.NotResource)]).filter(p => p.startsWith("arn:"));
    const named = patterns.map(witness);
    const unnamedWitnesses = patterns.filter(p => hasWildcard(p) && !(S3_ARN.test(p) && !hasWildcard(S3_ARN.exec(p)![1]))).map(witness);
    const services = [...new Set([...SERVICES, ...statements.flatMap(s => [...stringsOf(s.Action), ...stringsOf(s.NotAction)])
        .filter(action => /^[a-z0-9-]+:/i.test(action)).map(action => action.split(":")[0].toLowerCase())])].sort();
    const buckets = [...PARTITIONS.map(p => `arn:${p}:s3:::${OTHER_BUCKET}`),
        ...unnamedWitnesses.filter(w => S3_ARN.test(w)).map(w => S3_ARN.exec(w)![0])];
    const roles = [...PARTITIONS.map(p => `arn:${p}:iam::${PROBE_ACCOUNT}:role/${PROBE}`), ...unnamedWitnesses.filter(w => ROLE_ARN.test(w))];
    const unnamed = [...buckets, ...buckets.map(b => `${b}/${PROBE}`), ...roles, ...unnamedWitnesses];
    const generic = (service: string) => PARTITIONS.map(p => `arn:${p}:${service}:us-east-1:${PROBE_ACCOUNT}:${PROBE}`);
    return [
        ...[...unnamed, ...services.flatMap(generic), ...named]
            .map(resource => ({ action: "fleetprobe:FleetPolicyProbe", resource, grant: "every action" as const })),
        // The service's own resources first, so the message's example is a request that makes sense.
        ...services.flatMap(service => [
            ...unnamed.filter(resource => serviceOf(resource) === service), ...generic(service),
            ...unnamed.filter(resource => serviceOf(resource) !== service),
        ].map(resource => ({ action: `${service}:FleetPolicyProbe`, resource, grant: "every action of a service" as const }))),
        ...buckets.flatMap(bucket => [
            ...OBJECT_ACTIONS.map(action => ({ action, resource: `${bucket}/${PROBE}`, grant: "a bucket it does not name" as const })),
            ...BUCKET_ACTIONS.map(action => ({ action, resource: bucket, grant: "a bucket it does not name" as const })),
        ]),
        ...roles.flatMap(resource => ROLE_ACTIONS.map(action => ({ action, resource, grant: "a role it does not name" as const }))),
    ];
}

/**
 * What a document grants beyond what it names, one example request per kind of grant (every action stands
 * for the rest), as text for the message. Empty for a narrow document.
 */
export function broadGrants(statements: readonly PolicyStatement[]): string[] {
    const allowed = probes(statements).filter(probe => decide(statements, probe) === "Allowed");
    const first = (grant: Grant) => allowed.find(probe => probe.grant === grant);
    const everything = first("every action");
    if (everything) return [`every action, e.g. ${everything.action} on ${everything.resource} (Action "*" or NotAction)`];
    const grants: string[] = [];
    const service = first("every action of a service");
    if (service) {
        const services = [...new Set(allowed.filter(p => p.grant === service.grant).map(p => p.action.split(":")[0]))];
        grants.push(`every action of ${services.join(", ")} on resources it does not name, e.g. ${service.action} on ${service.resource}`);
    }
    for (const grant of ["a bucket it does not name", "a role it does not name"] as const) {
        const probe = first(grant);
        if (probe) grants.push(`${probe.action} on ${probe.resource} (${grant})`);
    }
    return grants;
}

export const iamNoWildcardGrants = resourceRule({
    name: "iam-no-wildcard-grants",
    description: "No IAM policy, role policy, bucket policy or OVH S3 policy may allow every action, every action of a service, " +
        "a bucket or a role it does not name (evaluated as IAM reads it: case-insensitive actions, wildcards, NotAction, NotResource).",
    enforcementLevel: "mandatory",
    check: resource => policyDocuments(resource).flatMap(document => {
        const grants = broadGrants(iamStatements(document) ?? []);
        if (grants.length === 0) return [];
        return [`${label(resource)}: its policy allows ${grants.join("; ")}: list the actions ` +
            "it needs and name each resource (a bucket as arn:aws:s3:::<bucket> and arn:aws:s3:::<bucket>/*; the fleet's own buckets " +
            "through bucketAdminAccess or bucketReadonlyAccess)"];
    }),
});
