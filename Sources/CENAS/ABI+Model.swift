// Fixed models across the ABI: one architecture retrained from scratch (strict JSON retrain config), trained with
// an event callback and a thread-safe cancel request, evaluated on a split, its parameters read and written.
import ENASCore

/// The object behind an `enas_model *`: a retraining run of one architecture, used by one thread at a time.
final class ModelObject: HandleObject, @unchecked Sendable {
    static let kind = HandleKind.model
    let retraining: RecurrentRetraining
    let control = RunControl(kind: "model")

    init(_ retraining: RecurrentRetraining) { self.retraining = retraining }

    var layers: [any Layer] { [retraining.model] }
}

/// `int32_t enas_model_create(const enas_arch *arch, const char *retrain_config_json, const enas_corpus *corpus,
///                            enas_model **out)`
@_cdecl("enas_model_create")
public func enas_model_create(
    _ arch: OpaquePointer?, _ configJSON: UnsafePointer<CChar>?, _ corpus: OpaquePointer?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_model_create") {
        let out = try required(out, "out")
        out.pointee = nil
        let registry = HandleRegistry.shared
        let architecture = try registry.lookup(arch, as: ArchitectureObject.self, argument: "arch").architecture
        let text = try readText(configJSON, "retrain_config_json")
        let corpus = try registry.lookup(corpus, as: CorpusObject.self, argument: "corpus").corpus
        let config = try RecurrentRetrainConfig.fromJSON(text)
        let retraining = try RecurrentRetraining(architecture: architecture, config: config, corpus: corpus)
        out.pointee = registry.register(ModelObject(retraining))
    }
}

/// `int32_t enas_model_save(const enas_model *model, const char *path)`
@_cdecl("enas_model_save")
public func enas_model_save(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    abiCall("enas_model_save") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        let path = try readText(path, "path")
        guard !path.isEmpty else { throw ABIError.invalidArgument("path is empty") }
        // Allowed inside the event callback: a window boundary is a consistent state.
        try object.retraining.save(to: path)
    }
}

/// `int32_t enas_model_load(const char *path, const enas_corpus *corpus, enas_model **out)`
@_cdecl("enas_model_load")
public func enas_model_load(
    _ path: UnsafePointer<CChar>?, _ corpus: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_model_load") {
        let out = try required(out, "out")
        out.pointee = nil
        let path = try readText(path, "path")
        guard !path.isEmpty else { throw ABIError.invalidArgument("path is empty") }
        let corpus = try HandleRegistry.shared.lookup(corpus, as: CorpusObject.self, argument: "corpus").corpus
        out.pointee = HandleRegistry.shared.register(ModelObject(try RecurrentRetraining.load(from: path, corpus: corpus)))
    }
}

/// `int32_t enas_model_architecture(const enas_model *model, enas_arch **out)`
@_cdecl("enas_model_architecture")
public func enas_model_architecture(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall("enas_model_architecture") {
        let out = try required(out, "out")
        out.pointee = nil
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        out.pointee = HandleRegistry.shared.register(ArchitectureObject(object.retraining.architecture))
    }
}

/// `int32_t enas_model_num_params(const enas_model *model, int64_t *out)`
@_cdecl("enas_model_num_params")
public func enas_model_num_params(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall("enas_model_num_params") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        try required(out, "out").pointee = Int64(object.retraining.parameterCount)
    }
}

/// `int32_t enas_model_train(enas_model *model, int32_t epochs, enas_event_fn callback, void *user)`
@_cdecl("enas_model_train")
public func enas_model_train(
    _ model: OpaquePointer?, _ epochs: Int32, _ callback: EventCallback?, _ user: UnsafeMutableRawPointer?
) -> Int32 {
    abiCall("enas_model_train") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        guard epochs >= -1 else {
            throw ABIError.invalidArgument("epochs = \(epochs) is negative (-1 trains the config's remaining epochs)")
        }
        let r = object.retraining
        let count = epochs == -1 ? max(0, r.config.epochs - r.trainer.epoch) : Int(epochs)
        try object.control.run { stopRequested in
            try r.train(epochs: count) { event in
                deliver(event, to: callback, user: user) && !stopRequested()
            }
        }
    }
}

/// `int32_t enas_model_request_cancel(enas_model *model)`
@_cdecl("enas_model_request_cancel")
public func enas_model_request_cancel(_ model: OpaquePointer?) -> Int32 {
    abiCall("enas_model_request_cancel") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        object.control.cancelRequested.store(true, ordering: .relaxed)
    }
}

/// `int32_t enas_model_evaluate(enas_model *model, const char *split, double *ppl)`
@_cdecl("enas_model_evaluate")
public func enas_model_evaluate(
    _ model: OpaquePointer?, _ split: UnsafePointer<CChar>?, _ ppl: UnsafeMutablePointer<Double>?
) -> Int32 {
    abiCall("enas_model_evaluate") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        let split = try readText(split, "split")
        let ppl = try required(ppl, "ppl")
        guard ["train", "valid", "test"].contains(split) else {
            throw ABIError.invalidArgument("split = \(quoted(split)) is not 'train', 'valid' or 'test'")
        }
        ppl.pointee = try object.control.exclusive { try object.retraining.perplexity(split: split) }
    }
}

/// `int32_t enas_model_parameter_names_json(const enas_model *model, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_model_parameter_names_json")
public func enas_model_parameter_names_json(
    _ model: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_model_parameter_names_json") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        try writeText(try parameterNamesJSON(object.layers), buf, cap, needed)
    }
}

/// `int32_t enas_model_parameter_shape(const enas_model *model, const char *name, int64_t *shape, int32_t cap,
///                                     int32_t *ndim_out)`
@_cdecl("enas_model_parameter_shape")
public func enas_model_parameter_shape(
    _ model: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ shape: UnsafeMutablePointer<Int64>?, _ cap: Int32,
    _ ndimOut: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall("enas_model_parameter_shape") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        try writeParameterShape(object.layers, name, shape, cap, ndimOut)
    }
}

/// `int32_t enas_model_get_parameter(const enas_model *model, const char *name, float *buf, size_t cap_elements,
///                                   size_t *needed)`
@_cdecl("enas_model_get_parameter")
public func enas_model_get_parameter(
    _ model: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<Float>?, _ capElements: UInt,
    _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_model_get_parameter") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        try copyParameterOut(object.layers, name, buf, capElements, needed)
    }
}

/// `int32_t enas_model_set_parameter(enas_model *model, const char *name, const void *data, int32_t dtype,
///                                   const int64_t *shape, int32_t ndim)`
@_cdecl("enas_model_set_parameter")
public func enas_model_set_parameter(
    _ model: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ data: UnsafeRawPointer?, _ dtype: Int32,
    _ shape: UnsafePointer<Int64>?, _ ndim: Int32
) -> Int32 {
    abiCall("enas_model_set_parameter") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        try object.control.exclusive { try setParameter(object.layers, name, data, dtype, shape, ndim) }
    }
}

/// `int32_t enas_model_free(enas_model *model)`
@_cdecl("enas_model_free")
public func enas_model_free(_ model: OpaquePointer?) -> Int32 {
    abiCall("enas_model_free") {
        try HandleRegistry.shared.release(model, as: ModelObject.self, argument: "model")
    }
}
