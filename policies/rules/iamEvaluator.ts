/**
 * Which requests an IAM-style policy document (AWS IAM, S3 bucket policies, OVH S3 policies) may let
 * through, read as IAM reads it: actions case-insensitive, resources case-sensitive after the ARN's
 * partition/service/region/account (which are not), `*` and `?` wildcards in both, `NotAction` and
 * `NotResource` as "everything except", and an explicit Deny beating any Allow whatever the order
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 *
 * The question the pack asks is "could this document grant that request?", so where a document leaves
 * the answer to run-time context the evaluator takes the reading that cannot hide a grant: an Allow with a
 * Condition may apply, a Deny with one may not; a policy variable (`${aws:username}`) may be anything in an
 * Allow and matches nothing in a Deny; a wildcard in an action's service prefix (`s*:*`) may match in an
 * Allow and does not in a Deny. On documents without those, its decision is IAM's, and
 * tests/policiesIam.test.ts checks it against a full IAM evaluator request by request.
 *
 * Why our own evaluator rather than `@cloud-copilot/iam-simulate` (the full evaluator the tests use): that
 * package is AGPL-3.0-or-later, and the pack is a BSD-3-Clause package of its own that operators install
 * (`npm ci --prefix policies`) and copy into their repositories; depending on it would put AGPL terms on
 * every copy of the pack. It also answers one concrete request with its full context (principal, account,
 * condition keys), where the pack needs the worst case over every context. The part of IAM the pack needs
 * is small, so it lives here, and the AGPL evaluator stays a test-only dependency of the root package.
 */

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** One request: an action (`s3:GetObject`) on a resource ARN. */
export interface Request {
    readonly action: string;
    readonly resource: string;
}

/** A statement as written: every field may be missing or malformed in a document a rule is given. */
export interface PolicyStatement {
    readonly Effect?: unknown;
    readonly Action?: unknown;
    readonly NotAction?: unknown;
    readonly Resource?: unknown;
    readonly NotResource?: unknown;
    readonly Condition?: unknown;
}

/**
 * How a pattern is read: `broad` matches whatever IAM might match (for an Allow's Action/Resource, a
 * Deny's NotAction/NotResource), `narrow` only what IAM surely matches (the other way round).
 */
export type Reading = "broad" | "narrow";

/** The strings of a string-or-list policy element; anything else in it is not a pattern IAM would accept. */
export function stringsOf(value: unknown): string[] {
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return list.filter((item): item is string => typeof item === "string");
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Compiled patterns: a rule asks hundreds of requests of a document's few patterns, on every resource. */
const compiledPatterns = new Map<string, RegExp>();

/**
 * A wildcard pattern as a regular expression. `${*}`, `${?}` and `${$}` are IAM's escapes for the literal
 * characters; any other `${…}` is a policy variable, read as anything (broad) or nothing (narrow).
 */
function wildcardRegExp(pattern: string, reading: Reading, flags: string): RegExp {
    const key = `${reading}/${flags}/${pattern}`;
    let compiled = compiledPatterns.get(key);
    if (!compiled) {
        if (compiledPatterns.size > 10_000) compiledPatterns.clear();
        compiled = compileWildcard(pattern, reading, flags);
        compiledPatterns.set(key, compiled);
    }
    return compiled;
}

function compileWildcard(pattern: string, reading: Reading, flags: string): RegExp {
    const body = pattern.split(/(\$\{[^}]*\}|\*|\?)/).map(token => {
        if (token === "*") return "[\\s\\S]*";
        if (token === "?") return "[\\s\\S]";
        if (token === "${*}" || token === "${?}" || token === "${$}") return escapeRegExp(token[2]);
        if (/^\$\{[^}]*\}$/.test(token)) return reading === "broad" ? "[\\s\\S]*" : "(?!)";
        return escapeRegExp(token);
    }).join("");
    return new RegExp(`^${body}$`, flags);
}

/** Whether an `Action` / `NotAction` pattern matches an action, `service:Name`. */
export function actionMatches(pattern: string, action: string, reading: Reading = "narrow"): boolean {
    if (pattern === "*") return true;
    // IAM compares services and action names without regard to case.
    if (reading === "broad") return wildcardRegExp(pattern, reading, "i").test(action);
    const [service, name] = [pattern.slice(0, pattern.indexOf(":")), pattern.slice(pattern.indexOf(":") + 1)];
    if (!pattern.includes(":") || /[*?]/.test(service)) return false;
    const requested = action.indexOf(":");
    return action.slice(0, requested).toLowerCase() === service.toLowerCase()
        && wildcardRegExp(name, reading, "i").test(action.slice(requested + 1));
}

/** `arn:partition:service:region:account:resource` as six parts, the last keeping its own colons. */
function arnParts(arn: string): string[] {
    const parts = arn.split(":");
    return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/**
 * Whether a `Resource` / `NotResource` pattern matches a resource ARN. Segment by segment: a wildcard in
 * partition, service, region or account stays in its segment and ignores case; one in the resource part
 * may span `/` and `:` and respects case. An identity policy's ARN with fewer segments reads the missing
 * ones as `*`. IAM refuses a wildcard in the resource type (`role/` of an IAM ARN), so a narrow reading
 * matches nothing there.
 */
export function resourceMatches(pattern: string, resource: string, reading: Reading = "narrow"): boolean {
    if (pattern === "*") return true;
    if (!pattern.startsWith("arn:")) return reading === "broad" && wildcardRegExp(pattern, reading, "").test(resource);
    const wanted = pattern.split(":").length < 6 ? [...pattern.split(":"), "*", "*", "*", "*", "*"].slice(0, 6) : arnParts(pattern);
    if (resource.split(":").length < 6) return false;
    const actual = arnParts(resource);
    const typePrefix = /^[^/:]*[/:]/.exec(wanted[5])?.[0] ?? "";
    const isS3 = wanted[2] === "s3" && wanted[3] === "" && wanted[4] === "";
    if (reading === "narrow" && !isS3 && /[*?]/.test(typePrefix)) return false;
    return wanted.slice(1, 5).every((segment, i) => wildcardRegExp(segment, reading, "i").test(actual[i + 1]))
        && wildcardRegExp(wanted[5], reading, "").test(actual[5]);
}

/**
 * Whether a statement applies to a request: `may` (an Allow: anything it might cover) or `must` (a Deny:
 * only what it surely covers). A statement without Action/NotAction or Resource/NotResource is invalid;
 * it may apply to everything and surely applies to nothing.
 */
function applies(statement: PolicyStatement, request: Request, mode: "may" | "must"): boolean {
    if (mode === "must" && statement.Condition !== undefined) return false;
    const positive: Reading = mode === "may" ? "broad" : "narrow";
    const negative: Reading = mode === "may" ? "narrow" : "broad";
    const element = (inclusive: unknown, exclusive: unknown, matches: (pattern: string, reading: Reading) => boolean): boolean => {
        if (inclusive !== undefined) return stringsOf(inclusive).some(pattern => matches(pattern, positive));
        if (exclusive !== undefined) return !stringsOf(exclusive).some(pattern => matches(pattern, negative));
        return mode === "may";
    };
    return element(statement.Action, statement.NotAction, (pattern, reading) => actionMatches(pattern, request.action, reading))
        && element(statement.Resource, statement.NotResource, (pattern, reading) => resourceMatches(pattern, request.resource, reading));
}

/**
 * IAM's decision on one request against the statements of one document: an explicit Deny wins, then an
 * Allow, else the implicit deny. `Allowed` means the document may allow it (see the header on context).
 * An Effect other than `Deny` counts as an Allow: IAM refuses such a document, so nothing is hidden by it.
 */
export function decide(statements: readonly PolicyStatement[], request: Request): Decision {
    if (statements.some(s => s.Effect === "Deny" && applies(s, request, "must"))) return "ExplicitlyDenied";
    if (statements.some(s => s.Effect !== "Deny" && applies(s, request, "may"))) return "Allowed";
    return "ImplicitlyDenied";
}
