// Batch normalization, NCHW, per channel over (N, H, W).

/// Training-mode batch norm: normalizes with the batch's statistics and returns them (mean, biased variance)
/// so the layer can update its running averages. gamma, beta (C).
public func batchNorm(_ x: Variable, gamma: Variable, beta: Variable, epsilon: Float = 1e-5) throws
    -> (output: Variable, mean: Tensor, variance: Tensor)
{
    try ensureShape(x.shape.count == 4 && gamma.shape == [x.shape[1]] && beta.shape == [x.shape[1]],
                    "[batchNorm] needs x (N, C, H, W) with gamma and beta (C), got \(Shape.describe(x.shape)), \(Shape.describe(gamma.shape)), \(Shape.describe(beta.shape))")
    let (batch, channels, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    var invStd = Tensor(zeros: [channels]), mean = Tensor(zeros: [channels]), variance = Tensor(zeros: [channels])
    let y = x.value.withPointer { xp in gamma.value.withPointer { gp in beta.value.withPointer { bp in
        makeTensor(x.shape) { yp in invStd.withMutablePointer { ip in
            mean.withMutablePointer { mp in variance.withMutablePointer { vp in
                batchNormTrainingForward(batch: batch, channels: channels, plane: plane, epsilon: epsilon, x: xp, gamma: gp, beta: bp,
                                         y: yp, invStd: ip, mean: mp, variance: vp)
            } }
        } }
    } } }
    // Backward recomputes x̂ from x (kept by the graph) instead of holding a normalized copy.
    let xValue = x.value
    let output = record(y, parents: [x, gamma, beta]) { [mean] dy in
        dy.withPointer { dp in xValue.withPointer { xp in mean.withPointer { mp in gamma.value.withPointer { gp in
            invStd.withPointer { ip in
                withOptionalGradPointer(x) { dx, overwrite in withOptionalGradPointer(gamma) { dg in withOptionalGradPointer(beta) { db in
                    batchNormBackward(batch: batch, channels: channels, plane: plane, dy: dp, x: xp, mean: mp, gamma: gp,
                                      invStd: ip, dx: dx, dgamma: dg, dbeta: db, overwriteDX: overwrite)
                } } }
            }
        } } } }
    }
    return (output, mean, variance)
}

/// Inference-mode batch norm with fixed statistics (no gradient to them; gradients flow to x, gamma, beta are not
/// needed in evaluation, so this op records none).
public func batchNormInference(_ x: Variable, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                               epsilon: Float = 1e-5) throws -> Variable {
    try ensureShape(x.shape.count == 4 && gamma.shape == [x.shape[1]],
                    "[batchNorm] needs x (N, C, H, W) with statistics (C), got \(Shape.describe(x.shape)) and \(Shape.describe(gamma.shape))")
    let (batch, channels, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    let y = x.value.withPointer { xp in gamma.withPointer { gp in beta.withPointer { bp in mean.withPointer { mp in variance.withPointer { vp in
        makeTensor(x.shape) {
            batchNormInferenceForward(batch: batch, channels: channels, plane: plane, epsilon: epsilon, x: xp, gamma: gp, beta: bp,
                                      mean: mp, variance: vp, y: $0)
        }
    } } } } }
    return Variable(y)
}
