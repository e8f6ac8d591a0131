import ENASCore
import ENASTestSupport
import Testing

/// One row of the gradient-check table: an op, its input shapes, and how to build it from variables.
struct GradientCase: Sendable, CustomStringConvertible {
    let name: String
    let shapes: [[Int]]
    /// Inputs drawn away from zero (ReLU's and max-pool's kinks) when true.
    var awayFromKinks = true
    let build: @Sendable ([Variable]) throws -> Variable
    var description: String { name }
}

private let mask: Tensor = {
    var rng = RandomSource(seed: 99)
    return Dropout.mask([4, 6], rate: 0.5, rng: &rng)
}()
private let labels: [Int32] = [3, 0, 9, 4, 4]
private let tokenIds: [Int32] = [2, 0, 2, 5, 1]

/// Every differentiable op of ENASCore, once (ggml test-backend-ops style).
let gradientCases: [GradientCase] = [
    GradientCase(name: "add", shapes: [[3, 5], [3, 5]]) { try add($0[0], $0[1]) },
    GradientCase(name: "sum of three", shapes: [[2, 3], [2, 3], [2, 3]]) { try sum($0) },
    GradientCase(name: "subtract", shapes: [[3, 5], [3, 5]]) { try subtract($0[0], $0[1]) },
    GradientCase(name: "multiply", shapes: [[4, 7], [4, 7]]) { try multiply($0[0], $0[1]) },
    GradientCase(name: "dropout mask", shapes: [[4, 6]]) { try multiply($0[0], mask: mask) },
    GradientCase(name: "scale", shapes: [[17]]) { scale($0[0], by: -2.5) },
    GradientCase(name: "addBias rows", shapes: [[5, 33], [33]]) { try addBias($0[0], $0[1]) },
    GradientCase(name: "addBias channels", shapes: [[2, 3, 4, 5], [3]]) { try addBias($0[0], $0[1]) },
    GradientCase(name: "sumAll", shapes: [[3, 7]]) { sumAll($0[0]) },
    GradientCase(name: "meanAll", shapes: [[3, 7]]) { meanAll($0[0]) },
    GradientCase(name: "matmul NN", shapes: [[5, 7], [7, 33]]) { try matmul($0[0], $0[1]) },
    GradientCase(name: "matmul NT", shapes: [[5, 7], [33, 7]]) { try matmul($0[0], $0[1], transposeB: true) },
    GradientCase(name: "matmul TN", shapes: [[7, 5], [7, 33]]) { try matmul($0[0], $0[1], transposeA: true) },
    GradientCase(name: "matmul TT", shapes: [[7, 5], [33, 7]]) { try matmul($0[0], $0[1], transposeA: true, transposeB: true) },
    GradientCase(name: "matmul, weight gradient batched over a scope", shapes: [[5, 7], [7, 33]]) {
        let packs = PackedWeightCache()
        return try add(matmul($0[0], $0[1], packs: packs), matmul(tanh($0[0]), $0[1], packs: packs))
    },
    GradientCase(name: "linear", shapes: [[4, 9], [9, 6], [6]]) { try linear($0[0], $0[1], $0[2]) },
    GradientCase(name: "tanh", shapes: [[3, 19]]) { tanh($0[0]) },
    GradientCase(name: "sigmoid", shapes: [[3, 19]]) { sigmoid($0[0]) },
    GradientCase(name: "relu", shapes: [[3, 19]]) { relu($0[0]) },
    GradientCase(name: "identity", shapes: [[3, 19]]) { activation($0[0], .identity) },
    GradientCase(name: "exp", shapes: [[3, 19]]) { exp($0[0]) },
    GradientCase(name: "softmaxCrossEntropy", shapes: [[5, 10]]) { try softmaxCrossEntropy($0[0], labels: labels) },
    GradientCase(name: "softmaxCrossEntropy summed/batch", shapes: [[5, 10]]) { try softmaxCrossEntropy($0[0], labels: labels, scale: 0.5) },
    // The second loss's backward adds into the gradient the first one wrote (the accumulate path).
    GradientCase(name: "softmaxCrossEntropy twice", shapes: [[5, 10]]) {
        try add(try softmaxCrossEntropy($0[0], labels: labels), try softmaxCrossEntropy($0[0], labels: labels, scale: 0.3))
    },
    GradientCase(name: "kl to target", shapes: [[4, 2]]) { try klDivergenceToTarget($0[0], target: [0.6, 0.4]) },
    GradientCase(name: "reshape", shapes: [[4, 6]]) { try reshape($0[0], [2, 3, 4]) },
    GradientCase(name: "concat columns", shapes: [[3, 2], [3, 5], [3, 1]]) { try concat($0) },
    GradientCase(name: "concat channels", shapes: [[2, 3, 2, 2], [2, 1, 2, 2]]) { try concat($0) },
    GradientCase(name: "slice columns", shapes: [[3, 9]]) { try slice($0[0], axis1: 2..<7) },
    GradientCase(name: "slice channels", shapes: [[2, 5, 3, 2]]) { try slice($0[0], axis1: 1..<3) },
    GradientCase(name: "embedding gather", shapes: [[6, 4]]) { try gather($0[0], ids: tokenIds) },
    GradientCase(name: "conv2d 3x3 s1 p1", shapes: [[2, 3, 5, 6], [4, 3, 3, 3]]) { try conv2d($0[0], $0[1], stride: 1, padding: 1) },
    GradientCase(name: "conv2d 5x5 s2 p2", shapes: [[2, 2, 7, 7], [3, 2, 5, 5]]) { try conv2d($0[0], $0[1], stride: 2, padding: 2) },
    GradientCase(name: "conv2d 1x1", shapes: [[2, 5, 3, 3], [4, 5, 1, 1]]) { try conv2d($0[0], $0[1]) },
    GradientCase(name: "depthwise 3x3 s1", shapes: [[2, 3, 6, 5], [3, 1, 3, 3]]) { try depthwiseConv2d($0[0], $0[1], stride: 1, padding: 1) },
    GradientCase(name: "depthwise 5x5 s2", shapes: [[2, 2, 7, 8], [2, 1, 5, 5]]) { try depthwiseConv2d($0[0], $0[1], stride: 2, padding: 2) },
    GradientCase(name: "relu-depthwise 3x3 s1", shapes: [[2, 3, 6, 5], [3, 1, 3, 3]]) {
        try depthwiseConv2d($0[0], $0[1], stride: 1, padding: 1, rectifyingInput: true)
    },
    GradientCase(name: "relu-depthwise 5x5 s2", shapes: [[2, 2, 7, 8], [2, 1, 5, 5]]) {
        try depthwiseConv2d($0[0], $0[1], stride: 2, padding: 2, rectifyingInput: true)
    },
    GradientCase(name: "separable 3x3 s1", shapes: [[2, 3, 6, 5], [3, 1, 3, 3], [4, 3, 1, 1]]) {
        try separableConv2d($0[0], depthwise: $0[1], pointwise: $0[2], stride: 1, padding: 1)
    },
    GradientCase(name: "relu-separable 5x5 s2", shapes: [[2, 2, 7, 8], [2, 1, 5, 5], [3, 2, 1, 1]]) {
        try separableConv2d($0[0], depthwise: $0[1], pointwise: $0[2], stride: 2, padding: 2, rectifyingInput: true)
    },
    GradientCase(name: "maxPool 3x3 s1", shapes: [[2, 2, 5, 6]]) { try maxPool2d($0[0], kernel: 3, stride: 1, padding: 1) },
    GradientCase(name: "maxPool 3x3 s2", shapes: [[1, 3, 7, 7]]) { try maxPool2d($0[0], kernel: 3, stride: 2, padding: 1) },
    GradientCase(name: "avgPool 3x3 s1", shapes: [[2, 2, 5, 6]]) { try avgPool2d($0[0], kernel: 3, stride: 1, padding: 1) },
    GradientCase(name: "avgPool 3x3 s2", shapes: [[1, 3, 7, 7]]) { try avgPool2d($0[0], kernel: 3, stride: 2, padding: 1) },
    GradientCase(name: "shiftUpLeft", shapes: [[2, 2, 3, 4]]) { try shiftUpLeft($0[0]) },
    GradientCase(name: "subsample2", shapes: [[2, 2, 5, 4]]) { try subsample2($0[0], shifted: false) },
    GradientCase(name: "subsample2 shifted", shapes: [[2, 2, 5, 4]]) { try subsample2($0[0], shifted: true) },
    GradientCase(name: "globalAvgPool", shapes: [[2, 3, 4, 5]]) { try globalAvgPool($0[0]) },
    GradientCase(name: "batchNorm", shapes: [[3, 2, 3, 4], [2], [2]]) { try batchNorm($0[0], gamma: $0[1], beta: $0[2]).output },
    GradientCase(name: "highway tanh", shapes: [[3, 10], [3, 5]]) { try highway($0[0], previous: $0[1], activation: .tanh) },
    GradientCase(name: "highway relu", shapes: [[3, 10], [3, 5]]) { try highway($0[0], previous: $0[1], activation: .relu) },
    GradientCase(name: "highway sigmoid", shapes: [[3, 10], [3, 5]]) { try highway($0[0], previous: $0[1], activation: .sigmoid) },
    GradientCase(name: "highway identity", shapes: [[3, 10], [3, 5]]) { try highway($0[0], previous: $0[1], activation: .identity) },
    GradientCase(name: "slowness", shapes: [[2, 12]]) { try meanSquaredStepDifference($0[0], steps: 4) },
    GradientCase(name: "lstmGates", shapes: [[3, 20], [3, 5]]) { try lstmGates($0[0], cell: $0[1]) },
]

@Suite("Finite-difference gradient check of every differentiable op")
struct GradientCheckTests {
    @Test(arguments: gradientCases)
    func analyticMatchesNumeric(_ c: GradientCase) throws {
        var rng = RandomSource(seed: 2024)
        var inputs = c.shapes.map { randomTensor($0, rng: &rng, low: c.awayFromKinks ? 0.2 : 0, high: 1.5) }
        if c.name.hasPrefix("maxPool") {
            // Distinct values at least 0.05 apart: no window has a tie within ±eps.
            var values = (0..<inputs[0].count).map { Float($0) * 0.05 }
            rng.shuffle(&values)
            inputs[0].storage = values
        }
        let failures = try gradientCheck(inputs: inputs, eps: 1e-2, build: c.build)
        #expect(failures.isEmpty, "\(c.name): \(failures.prefix(5))")
    }

    @Test func withoutGradientsRecordsNothing() throws {
        let w = Variable(Tensor(zeros: [2, 2], value: 1), requiresGrad: true)
        let y = try withoutGradients { try matmul(w, w) }
        #expect(!y.requiresGrad)
    }
}

@Suite("The gradient checker itself")
struct GradientCheckerTests {
    @Test func catchesAWrongBackward() throws {
        // y = 3x whose backward claims dy/dx = 2: the checker must report it.
        let wrong: ([Variable]) throws -> Variable = { inputs in
            let x = inputs[0]
            return Variable.operation(scale(x, by: 3).value, parents: [x]) { g in x.accumulateGrad(scale(Variable(g), by: 2).value) }
        }
        var rng = RandomSource(seed: 1)
        let failures = try gradientCheck(inputs: [randomTensor([5], rng: &rng)], build: wrong)
        #expect(!failures.isEmpty)
    }
}
