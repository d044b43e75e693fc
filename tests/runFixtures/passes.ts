describe("after the others", () => { it("still runs", () => undefined); });
