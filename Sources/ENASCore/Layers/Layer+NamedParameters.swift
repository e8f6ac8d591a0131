extension Layer {
    /// Parameters by name (copies of their values): for inspection, export and comparison with other frameworks.
    public func namedParameters() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.value) })
    }

    /// Replaces parameter values by name. Every name must exist and every shape match; nothing changes unless all do.
    public func loadParameters(_ values: [String: Tensor]) throws {
        let byName = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
        for (name, tensor) in values {
            guard let p = byName[name] else { throw ENASError.invalidArgument("[parameters] no parameter named '\(name)'") }
            try ensureShape(p.shape == tensor.shape,
                            "[parameters] '\(name)' has shape \(Shape.describe(p.shape)), got \(Shape.describe(tensor.shape))")
        }
        for (name, tensor) in values { byName[name]!.value = tensor }
    }
}
