// A suite whose before hook fails: its two tests count as failed, the other suite's test as passed.
describe("broken", () => {
    before(() => { throw new Error("before failed"); });
    it("x", () => undefined);
    it("y", () => undefined);
});
describe("fine", () => { it("z", () => undefined); });
