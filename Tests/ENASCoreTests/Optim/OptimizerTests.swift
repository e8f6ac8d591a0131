import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("Optimizers, clipping and learning-rate schedules")
struct OptimizerTests {
    func parameter(_ values: [Float], grad: [Float], name: String = "w") -> Variable {
        let p = Variable(try! Tensor(shape: [values.count], storage: values), requiresGrad: true, name: name)
        p.grad = try! Tensor(shape: [grad.count], storage: grad)
        return p
    }

    @Test func sgdWithNesterovMomentumAndWeightDecayMatchesHandComputation() {
        let p = parameter([1, -2], grad: [0.5, 0.25])
        let sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01)
        sgd.step([p])
        // g = grad + 0.01 w; v = g; update = g + 0.9 v = 1.9 g
        let g0: [Float] = [0.5 + 0.01, 0.25 - 0.02]
        #expect(abs(p.value.storage[0] - (1 - 0.1 * 1.9 * g0[0])) < 1e-6)
        #expect(abs(p.value.storage[1] - (-2 - 0.1 * 1.9 * g0[1])) < 1e-6)
        let w1 = p.value.storage
        sgd.step([p])
        let g1 = [0.5 + 0.01 * w1[0], 0.25 + 0.01 * w1[1]]
        let v1 = [0.9 * g0[0] + g1[0], 0.9 * g0[1] + g1[1]]
        #expect(abs(p.value.storage[0] - (w1[0] - 0.1 * (g1[0] + 0.9 * v1[0]))) < 1e-6)
    }

    @Test func sgdLeavesParametersWithoutGradientAlone() {
        let used = parameter([1], grad: [1], name: "used")
        let unused = Variable(Tensor(zeros: [1], value: 5), requiresGrad: true, name: "unused")
        let sgd = SGD(learningRate: 1, momentum: 0.9, weightDecay: 0.1)
        sgd.step([used, unused])
        #expect(unused.value.storage == [5] && sgd.velocity["unused"] == nil)
    }

    @Test func adamMatchesHandComputationWithAuthorsBeta1Zero() {
        let p = parameter([1, 2], grad: [0.3, -0.6])
        let adam = Adam(learningRate: 0.01, beta1: 0, beta2: 0.999, epsilon: 1e-3)
        adam.step([p])
        for (i, g) in [Float(0.3), -0.6].enumerated() {
            let m = g, v = 0.001 * g * g
            let vhat = v / 0.001
            let expected = [Float(1), 2][i] - 0.01 * m / (vhat.squareRoot() + 1e-3)
            #expect(abs(p.value.storage[i] - expected) < 1e-6)
        }
        #expect(adam.stepCount == 1)
    }

    @Test func globalNormClippingReallyClips() throws {
        let a = parameter([0, 0], grad: [3, 0]), b = parameter([0], grad: [4], name: "b")
        let norm = try clipGradientsByGlobalNorm([a, b], maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        let clipped = (a.grad!.storage + b.grad!.storage).map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(abs(clipped - 1) < 1e-6)
        #expect(abs(a.grad!.storage[0] - 0.6) < 1e-6)
        #expect(throws: ENASError.self) { try clipGradientsByGlobalNorm([parameter([0], grad: [.nan])], maxNorm: 1) }
    }

    @Test func schedules() {
        #expect(LearningRateSchedule.constant(0.3).rate(atEpoch: 17.5) == 0.3)
        let decay = LearningRateSchedule.exponentialDecay(initial: 20, factor: 0.5, startEpoch: 15)
        #expect(decay.rate(atEpoch: 14.9) == 20 && decay.rate(atEpoch: 15) == 10 && decay.rate(atEpoch: 16.2) == 5)
        let cosine = LearningRateSchedule.cosine(maximum: 0.05, minimum: 0.0005, firstPeriod: 10, periodMultiplier: 2)
        #expect(abs(cosine.rate(atEpoch: 0) - 0.05) < 1e-7)
        #expect(abs(cosine.rate(atEpoch: 5) - (0.0005 + 0.5 * 0.0495)) < 1e-6)
        #expect(abs(cosine.rate(atEpoch: 10) - 0.05) < 1e-7)   // restart
        #expect(abs(cosine.rate(atEpoch: 20) - (0.0005 + 0.5 * 0.0495)) < 1e-6)   // middle of the 20-epoch period
        #expect(abs(cosine.rate(atEpoch: 30) - 0.05) < 1e-7)
    }
}
