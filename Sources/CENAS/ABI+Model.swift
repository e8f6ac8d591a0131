// Fixed models across the ABI: one architecture (a recurrent cell or a CNN) retrained from scratch (strict JSON
// retrain config), trained with an event callback and a thread-safe cancel request, evaluated on a split, its
// parameters read and written, CNN class probabilities predicted.
import Foundation
import ENASCore

/// What the ABI needs of a retraining, whatever its space.
protocol ABIModel: AnyObject {
    var anyArchitecture: AnyArchitecture { get }
    var parameterCount: Int { get }
    var parameterCountWithoutAuxiliary: Int { get }
    var configuredEpochs: Int { get }
    var completedEpochs: Int { get }
    /// The trained network (parameter namespace).
    var layer: any Layer { get }
    func train(epochs: Int?, onEvent: (SearchEvent) -> Bool) throws
    func save(to path: String) throws
    /// Perplexity (rnn) or top-1 accuracy (CNN) on "train", "valid" or "test".
    func metric(split: String) throws -> Double
}

extension RecurrentRetraining: ABIModel {
    var anyArchitecture: AnyArchitecture { .recurrent(architecture) }
    var parameterCountWithoutAuxiliary: Int { parameterCount }
    var configuredEpochs: Int { config.epochs }
    var completedEpochs: Int { trainer.epoch }
    var layer: any Layer { model }
    func metric(split: String) throws -> Double { try perplexity(split: split) }
}

extension ImageRetraining: ABIModel {
    var anyArchitecture: AnyArchitecture { .image(architecture) }
    var configuredEpochs: Int { config.epochs }
    var completedEpochs: Int { epoch }
    var layer: any Layer { network }
    func metric(split: String) throws -> Double { try accuracy(split: split) }
}

/// The object behind an `enas_model *`: a retraining run of one architecture, used by one thread at a time.
final class ModelObject: HandleObject, @unchecked Sendable {
    static let kind = HandleKind.model
    let retraining: any ABIModel
    let control = RunControl(kind: "model")

    init(_ retraining: any ABIModel) { self.retraining = retraining }

    var layers: [any Layer] { [retraining.layer] }
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
        let architecture = try registry.lookup(arch, as: ArchitectureObject.self, argument: "arch").recurrent("enas_model_create")
        let text = try readText(configJSON, "retrain_config_json")
        let corpus = try registry.lookup(corpus, as: CorpusObject.self, argument: "corpus").corpus
        let config = try RecurrentRetrainConfig.fromJSON(text)
        let retraining = try RecurrentRetraining(architecture: architecture, config: config, corpus: corpus)
        out.pointee = registry.register(ModelObject(retraining))
    }
}

/// `int32_t enas_model_create_images(const enas_arch *arch, const char *retrain_config_json, const enas_images *images,
///                                   enas_model **out)`
@_cdecl("enas_model_create_images")
public func enas_model_create_images(
    _ arch: OpaquePointer?, _ configJSON: UnsafePointer<CChar>?, _ images: OpaquePointer?,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_model_create_images") {
        let out = try required(out, "out")
        out.pointee = nil
        let registry = HandleRegistry.shared
        let architecture = try registry.lookup(arch, as: ArchitectureObject.self, argument: "arch").image("enas_model_create_images")
        let text = try readText(configJSON, "retrain_config_json")
        let data = try registry.lookup(images, as: ImagesObject.self, argument: "images").data
        let config = try ImageRetrainConfig.fromJSON(text, space: architecture.kind)
        out.pointee = registry.register(ModelObject(try ImageRetraining(architecture: architecture, config: config, data: data)))
    }
}

/// `int32_t enas_model_load_images(const char *path, const enas_images *images, enas_model **out)`
@_cdecl("enas_model_load_images")
public func enas_model_load_images(
    _ path: UnsafePointer<CChar>?, _ images: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_model_load_images") {
        let out = try required(out, "out")
        out.pointee = nil
        let path = try readText(path, "path")
        guard !path.isEmpty else { throw ABIError.invalidArgument("path is empty") }
        let data = try HandleRegistry.shared.lookup(images, as: ImagesObject.self, argument: "images").data
        out.pointee = HandleRegistry.shared.register(ModelObject(try ImageRetraining.load(from: path, data: data)))
    }
}

/// `int32_t enas_model_predict(enas_model *model, const void *images, int32_t dtype, const int64_t *shape,
///                             float *probabilities, size_t cap_elements, size_t *needed)`
@_cdecl("enas_model_predict")
public func enas_model_predict(
    _ model: OpaquePointer?, _ images: UnsafeRawPointer?, _ dtype: Int32, _ shape: UnsafePointer<Int64>?,
    _ probabilities: UnsafeMutablePointer<Float>?, _ capElements: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_model_predict") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        guard let retraining = object.retraining as? ImageRetraining else {
            throw ABIError.invalidArgument("model is a recurrent language model; enas_model_predict classifies images")
        }
        let (dims, _) = try readShape(shape, ndim: 4, elementSize: 4, argument: "shape")
        let count = dims[0] * retraining.data.classCount
        needed?.pointee = UInt(count)
        guard let probabilities else {
            guard capElements == 0 else { throw ABIError.invalidArgument("probabilities is NULL with cap_elements = \(capElements)") }
            guard needed != nil else { throw ABIError.invalidArgument("probabilities and needed are both NULL") }
            return
        }
        guard capElements >= UInt(count) else {
            throw ABIError.invalidArgument("cap_elements = \(capElements) is smaller than the \(count) probabilities (N × classes)")
        }
        let batch = try readImages(images, dtype: dtype, shape: shape, labels: nil, labelDType: 0, classes: retraining.data.classCount, split: "images")
        let result = try object.control.exclusive { try retraining.predict(batch) }
        result.storage.withUnsafeBufferPointer { probabilities.update(from: $0.baseAddress!, count: count) }
    }
}

/// `int32_t enas_model_info_json(const enas_model *model, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_model_info_json")
public func enas_model_info_json(
    _ model: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_model_info_json") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        let r = object.retraining
        var info: [String: Any] = [
            "space": r.anyArchitecture.space, "num_params": r.parameterCount,
            "num_params_without_auxiliary": r.parameterCountWithoutAuxiliary, "epoch": r.completedEpochs,
            "epochs": r.configuredEpochs, "metric": r is ImageRetraining ? "accuracy" : "perplexity",
        ]
        if let image = r as? ImageRetraining {
            info["input_shape"] = [image.data.channels, image.data.height, image.data.width]
            info["classes"] = image.data.classCount
        }
        try writeText(try jsonText(info), buf, cap, needed)
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
        out.pointee = HandleRegistry.shared.register(ArchitectureObject(object.retraining.anyArchitecture))
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
        let count = epochs == -1 ? max(0, r.configuredEpochs - r.completedEpochs) : Int(epochs)
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

/// `int32_t enas_model_evaluate(enas_model *model, const char *split, double *metric)`
@_cdecl("enas_model_evaluate")
public func enas_model_evaluate(
    _ model: OpaquePointer?, _ split: UnsafePointer<CChar>?, _ ppl: UnsafeMutablePointer<Double>?
) -> Int32 {
    abiCall("enas_model_evaluate") {
        let object = try HandleRegistry.shared.lookup(model, as: ModelObject.self, argument: "model")
        let split = try readText(split, "split")
        let ppl = try required(ppl, "metric")
        guard ["train", "valid", "test"].contains(split) else {
            throw ABIError.invalidArgument("split = \(quoted(split)) is not 'train', 'valid' or 'test'")
        }
        ppl.pointee = try object.control.exclusive { try object.retraining.metric(split: split) }
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
