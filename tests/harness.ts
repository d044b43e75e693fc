/**
 * Pulumi mocks for tests (the recorder and computed outputs of scripts/mocks.ts), config, and helpers to
 * read outputs and secrets.
 *
 * Config and mocks are process-global: call `useMocks` in a suite's `before()`, then `await import()` the
 * code under test.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../components/config";
import { CallFn, DEFAULT_OUTPUTS, MockMode, MockRecorder, OutputsFn } from "../scripts/mocks";

export { DEFAULT_OUTPUTS, MockRecorder, RecordedResource } from "../scripts/mocks";

export interface MockOptions {
    /** Stack name (`Pulumi.<stack>.yaml` in messages). */
    readonly stack?: string;
    /** Config by short key (`clusters`, `hubs`, …) as plain objects, or full `ns:key` -> string. */
    readonly config?: Record<string, unknown>;
    /** Short or full keys to mark secret. */
    readonly secretKeys?: string[];
    readonly outputs?: Record<string, OutputsFn>;
    readonly calls?: Record<string, CallFn>;
    /** Run as a preview (unknown outputs stay unknown). */
    readonly preview?: boolean;
    /** `empty-cluster-preview`: the first preview of a new fleet (implies `preview`); see MockMode. */
    readonly mode?: MockMode;
}

/** Sets config and mocks for the process; returns the recorder. */
export function useMocks(options: MockOptions = {}): MockRecorder {
    const recorder = new MockRecorder({ ...DEFAULT_OUTPUTS, ...options.outputs }, options.calls ?? {}, options.mode);
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.config ?? {})) {
        const fullKey = key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`;
        config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const secretKeys = (options.secretKeys ?? []).map(k => k.includes(":") ? k : `${CONFIG_NAMESPACE}:${k}`);
    pulumi.runtime.setAllConfig(config, secretKeys);
    const preview = options.preview ?? options.mode === "empty-cluster-preview";
    pulumi.runtime.setMocks(recorder.mocks, CONFIG_NAMESPACE, options.stack ?? "test", preview);
    recorder.tapMonitor();
    return recorder;
}

/** Resolves an Output (or plain value) in a test. */
export function valueOf<T>(value: pulumi.Input<T>): Promise<T> {
    return new Promise(resolve => pulumi.output(value).apply(v => { resolve(v as T); return v; }));
}

/**
 * The promise behind an Output, which rejects when the Output fails (valueOf's `apply` never runs then).
 * `promise()` is the SDK's internal accessor; nothing public exposes a failed Output's error.
 */
export function settledValueOf<T>(value: pulumi.Input<T>): Promise<T> {
    return (pulumi.output(value) as unknown as { promise(): Promise<T> }).promise();
}

/** Whether `value` (an Output) is marked secret. */
export function isSecret(value: pulumi.Input<unknown>): Promise<boolean> {
    return pulumi.isSecret(pulumi.output(value));
}

/** Waits until every registration started so far has reached the mocks. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
        await new Promise(resolve => setImmediate(resolve));
    }
}

/** Waits until no new resource has been registered for a while: for programs whose outputs nothing awaits. */
export async function settleRegistrations(recorder: MockRecorder): Promise<void> {
    let seen = -1;
    while (seen !== recorder.resources.length) {
        seen = recorder.resources.length;
        await new Promise(resolve => setTimeout(resolve, 100));
    }
}

/** The plain value of a recorded input that arrived wrapped as a secret, and whether it was. */
export function unwrapSecret(input: unknown): { secret: boolean; value: any } {
    if (input && typeof input === "object" && (input as any)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
        return { secret: true, value: (input as any).value };
    }
    return { secret: false, value: input };
}

/**
 * Mocks never see resource options (protect, ignoreChanges, parent), so tests read them through a
 * transformation, which the SDK applies to a component and every child it creates.
 */
export class OptionsRecorder {
    readonly options = new Map<string, pulumi.ResourceOptions & { type: string }>();

    readonly transformation: pulumi.ResourceTransformation = args => {
        this.options.set(`${args.type}::${args.name}`, { ...args.opts, type: args.type });
        return undefined;
    };

    of(type: string, name: string): pulumi.ResourceOptions {
        const found = this.options.get(`${type}::${name}`);
        if (!found) throw new Error(`no options recorded for ${type} ${name}`);
        return found;
    }
}
