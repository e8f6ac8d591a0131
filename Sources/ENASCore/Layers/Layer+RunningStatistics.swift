/// Batch norms keep running statistics that are state, not parameters: evaluation reads them, so checkpoints of a
/// trained CNN must carry them. They are found by walking the layer's stored properties (arrays, dictionaries,
/// optionals and enum payloads included), so no layer has to list its batch norms by hand.
extension Layer {
    /// Every batch norm inside this layer, in a stable order (by name).
    public var batchNorms: [BatchNorm2D] {
        var found: [ObjectIdentifier: BatchNorm2D] = [:]
        func visit(_ value: Any) {
            if let norm = value as? BatchNorm2D { found[ObjectIdentifier(norm)] = norm; return }
            if value is Variable || value is Tensor { return }
            for child in Mirror(reflecting: value).children { visit(child.value) }
        }
        visit(self)
        return found.values.sorted { $0.scale.name < $1.scale.name }
    }

    /// Running means and variances by name (`<bn>.running_mean`, `<bn>.running_variance`).
    public var runningStatistics: [(name: String, tensor: Tensor)] {
        batchNorms.flatMap { norm -> [(name: String, tensor: Tensor)] in
            let base = String(norm.scale.name.dropLast(".scale".count))
            return [(base + ".running_mean", norm.runningMean), (base + ".running_variance", norm.runningVariance)]
        }
    }

    /// Restores running statistics saved under `prefix` (shapes checked).
    func restoreRunningStatistics(from checkpoint: Checkpoint, prefix: String) throws {
        for norm in batchNorms {
            let base = prefix + String(norm.scale.name.dropLast(".scale".count))
            let mean = try checkpoint.tensor(base + ".running_mean"), variance = try checkpoint.tensor(base + ".running_variance")
            try ensureShape(mean.shape == norm.runningMean.shape && variance.shape == norm.runningVariance.shape,
                            "[checkpoint] running statistics of '\(base)' have the wrong shape")
            (norm.runningMean, norm.runningVariance) = (mean, variance)
        }
    }
}
