// Searches across the ABI — recurrent cells over a corpus, macro/micro CNNs over images: create from strict JSON,
// run with an event callback and a thread-safe cancel request, read history and state, derive, save/load
// checkpoints, read and write ω and θ.
import Foundation
import Synchronization
import ENASCore

/// What the ABI needs of a search, whatever its space.
protocol ABISearch: AnyObject {
    var epoch: Int { get }
    var phase: SearchEvent.Phase { get }
    var stepInPhase: Int { get }
    var sharedWeightsSteps: Int { get }
    var controllerSteps: Int { get }
    var nonFiniteInARow: Int { get }
    var history: [[String: Any]] { get }
    var log: JSONLinesLog? { get set }
    var controller: ControllerNetwork { get }
    func run(epochs: Int, onEvent: (SearchEvent) -> Bool) throws
    func save(to path: String) throws
    var spaceName: String { get }
    var strategyName: String { get }
    var configuredEpochs: Int { get }
    var configText: String { get throws }
    /// ω.
    var sharedWeights: any Layer { get }
    /// The derived architecture and its validation metric (perplexity for rnn, accuracy for CNNs).
    func deriveAny(samples: Int?) throws -> (AnyArchitecture, Double)
}

extension RecurrentSearch: ABISearch {
    var spaceName: String { "rnn" }
    var strategyName: String { config.strategy.rawValue }
    var configuredEpochs: Int { config.epochs }
    var configText: String { get throws { String(decoding: try StrictJSON.encode(config), as: UTF8.self) } }
    var sharedWeights: any Layer { sharedModel }
    func deriveAny(samples: Int?) throws -> (AnyArchitecture, Double) {
        let (architecture, perplexity) = try derive(samples: samples)
        return (.recurrent(architecture), perplexity)
    }
}

extension ImageSearch: ABISearch {
    var spaceName: String { config.space.rawValue }
    var strategyName: String { config.strategy.rawValue }
    var configuredEpochs: Int { config.epochs }
    var configText: String { get throws { String(decoding: try StrictJSON.encode(config), as: UTF8.self) } }
    var sharedWeights: any Layer { network.layer }
    func deriveAny(samples: Int?) throws -> (AnyArchitecture, Double) {
        let (architecture, accuracy) = try derive(samples: samples)
        return (.image(architecture), accuracy)
    }
}

/// The object behind an `enas_search *`. The search itself is used by one thread at a time (enas.h); `control` and
/// `state` are the parts another thread may touch during a run (request a cancel, read the progress snapshot).
final class SearchObject: HandleObject, @unchecked Sendable {
    static let kind = HandleKind.search
    let search: any ABISearch
    let control = RunControl(kind: "search")
    /// The latest `enas_search_state_json` text, refreshed at every step boundary (readable from any thread).
    private let state = Mutex("{}")
    /// The config's JSON text (snake_case keys; fixed for the search's life).
    private let configText: String
    /// The JSON-lines log file, when one is set.
    private(set) var logPath: String?

    init(_ search: any ABISearch) throws {
        self.search = search
        configText = try search.configText
        try refreshState(running: false)
    }

    /// The parameter namespaces: ω (the shared model) then θ (names starting with "controller.").
    var layers: [any Layer] { [search.sharedWeights, search.controller] }

    func setLog(_ path: String?) throws {
        search.log = try path.map { try JSONLinesLog(path: $0) }
        logPath = path
        try refreshState(running: false)
    }

    /// Recomputes the state snapshot from the search (called on the thread that owns it).
    func refreshState(running: Bool) throws {
        let s = search
        let record: [String: Any] = [
            "space": s.spaceName,
            "strategy": s.strategyName,
            "epoch": s.epoch,
            "epochs": s.configuredEpochs,
            "phase": s.phase.rawValue,
            "step": s.stepInPhase,
            "shared_weights_steps": s.sharedWeightsSteps,
            "controller_steps": s.controllerSteps,
            "steps_done_in_epoch": s.phase == .sharedWeights ? s.stepInPhase : s.sharedWeightsSteps + s.stepInPhase,
            "history_length": s.history.count,
            "non_finite_in_a_row": s.nonFiniteInARow,
            "shared_parameter_count": s.sharedWeights.parameterCount,
            "controller_parameter_count": s.controller.parameterCount,
            "threads": Parallel.threadCount,
            "running": running,
            "log_path": logPath.map { $0 as Any } ?? NSNull(),
        ]
        // The config goes in as the encoder wrote it: a parse and re-serialization would turn its booleans into 0/1.
        let text = String(try jsonText(record).dropLast()) + ",\"config\":" + configText + "}"
        state.withLock { $0 = text }
    }

    var stateText: String { state.withLock { $0 } }
}

/// `int32_t enas_search_create(const char *config_json, const enas_corpus *corpus, enas_search **out)`
@_cdecl("enas_search_create")
public func enas_search_create(
    _ configJSON: UnsafePointer<CChar>?, _ corpus: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_search_create") {
        let out = try required(out, "out")
        out.pointee = nil
        let text = try readText(configJSON, "config_json")
        let corpus = try HandleRegistry.shared.lookup(corpus, as: CorpusObject.self, argument: "corpus").corpus
        let config = try RecurrentSearchConfig.fromJSON(try recurrentConfigText(text))
        let object = try SearchObject(try RecurrentSearch(config: config, corpus: corpus))
        out.pointee = HandleRegistry.shared.register(object)
    }
}

/// A recurrent config's text without its optional `"space": "rnn"` (a CNN space here is an error).
func recurrentConfigText(_ text: String) throws -> String {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], var body = Optional(object),
          let space = body.removeValue(forKey: "space") else { return text }
    guard space as? String == "rnn" else {
        throw ABIError.invalidArgument("config_json: space \(space) needs image data: use enas_search_create_images for 'macro' and 'micro'")
    }
    return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
}

/// `int32_t enas_search_create_images(const char *config_json, const enas_images *images, enas_search **out)`
@_cdecl("enas_search_create_images")
public func enas_search_create_images(
    _ configJSON: UnsafePointer<CChar>?, _ images: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_search_create_images") {
        let out = try required(out, "out")
        out.pointee = nil
        let text = try readText(configJSON, "config_json")
        let data = try HandleRegistry.shared.lookup(images, as: ImagesObject.self, argument: "images").data
        let config = try ImageSearchConfig.fromJSON(text)
        out.pointee = HandleRegistry.shared.register(try SearchObject(try ImageSearch(config: config, data: data)))
    }
}

/// `int32_t enas_search_load_images(const char *path, const enas_images *images, enas_search **out)`
@_cdecl("enas_search_load_images")
public func enas_search_load_images(
    _ path: UnsafePointer<CChar>?, _ images: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_search_load_images") {
        let out = try required(out, "out")
        out.pointee = nil
        let path = try readText(path, "path")
        guard !path.isEmpty else { throw ABIError.invalidArgument("path is empty") }
        let data = try HandleRegistry.shared.lookup(images, as: ImagesObject.self, argument: "images").data
        out.pointee = HandleRegistry.shared.register(try SearchObject(try ImageSearch.load(from: path, data: data)))
    }
}

/// `int32_t enas_search_load(const char *path, const enas_corpus *corpus, enas_search **out)`
@_cdecl("enas_search_load")
public func enas_search_load(
    _ path: UnsafePointer<CChar>?, _ corpus: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall("enas_search_load") {
        let out = try required(out, "out")
        out.pointee = nil
        let path = try readText(path, "path")
        guard !path.isEmpty else { throw ABIError.invalidArgument("path is empty") }
        let corpus = try HandleRegistry.shared.lookup(corpus, as: CorpusObject.self, argument: "corpus").corpus
        let object = try SearchObject(try RecurrentSearch.load(from: path, corpus: corpus))
        out.pointee = HandleRegistry.shared.register(object)
    }
}

/// `int32_t enas_search_save(const enas_search *search, const char *path)`
@_cdecl("enas_search_save")
public func enas_search_save(_ search: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    abiCall("enas_search_save") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        let path = try readText(path, "path")
        guard !path.isEmpty else { throw ABIError.invalidArgument("path is empty") }
        // Allowed inside the event callback: a step boundary is a consistent state.
        try object.search.save(to: path)
    }
}

/// `int32_t enas_search_set_log(enas_search *search, const char *path)`
@_cdecl("enas_search_set_log")
public func enas_search_set_log(_ search: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    abiCall("enas_search_set_log") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        let path = try path.map { try readText($0, "path") }
        if path?.isEmpty == true { throw ABIError.invalidArgument("path is empty (pass NULL to stop logging)") }
        try object.control.exclusive { try object.setLog(path) }
    }
}

/// `int32_t enas_search_run(enas_search *search, int32_t epochs, enas_event_fn callback, void *user)`
@_cdecl("enas_search_run")
public func enas_search_run(
    _ search: OpaquePointer?, _ epochs: Int32, _ callback: EventCallback?, _ user: UnsafeMutableRawPointer?
) -> Int32 {
    abiCall("enas_search_run") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        guard epochs >= -1 else {
            throw ABIError.invalidArgument("epochs = \(epochs) is negative (-1 runs the config's remaining epochs)")
        }
        let s = object.search
        let count = epochs == -1 ? max(0, s.configuredEpochs - s.epoch) : Int(epochs)
        try object.control.run { stopRequested in
            defer { try? object.refreshState(running: false) }
            try s.run(epochs: count) { event in
                try? object.refreshState(running: true)
                let keepGoing = deliver(event, to: callback, user: user)
                return keepGoing && !stopRequested()
            }
        }
    }
}

/// `int32_t enas_search_request_cancel(enas_search *search)`
@_cdecl("enas_search_request_cancel")
public func enas_search_request_cancel(_ search: OpaquePointer?) -> Int32 {
    abiCall("enas_search_request_cancel") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        object.control.cancelRequested.store(true, ordering: .relaxed)
    }
}

/// `int32_t enas_search_history_json(const enas_search *search, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_search_history_json")
public func enas_search_history_json(
    _ search: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_search_history_json") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        try writeText(try jsonText(object.search.history), buf, cap, needed)
    }
}

/// `int32_t enas_search_state_json(const enas_search *search, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_search_state_json")
public func enas_search_state_json(
    _ search: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_search_state_json") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        try writeText(object.stateText, buf, cap, needed)
    }
}

/// `int32_t enas_search_derive(enas_search *search, int32_t samples, enas_arch **out, double *valid_metric)`
@_cdecl("enas_search_derive")
public func enas_search_derive(
    _ search: OpaquePointer?, _ samples: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ validPPL: UnsafeMutablePointer<Double>?
) -> Int32 {
    abiCall("enas_search_derive") {
        let out = try required(out, "out")
        out.pointee = nil
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        let validPPL = try required(validPPL, "valid_metric")
        guard samples >= 0 else {
            throw ABIError.invalidArgument("samples = \(samples) is negative (0 uses the config's derive_samples)")
        }
        let (architecture, metric) = try object.control.exclusive {
            defer { try? object.refreshState(running: false) }
            return try object.search.deriveAny(samples: samples == 0 ? nil : Int(samples))
        }
        validPPL.pointee = metric
        out.pointee = HandleRegistry.shared.register(ArchitectureObject(architecture))
    }
}

/// `int32_t enas_search_parameter_names_json(const enas_search *search, char *buf, size_t cap, size_t *needed)`
@_cdecl("enas_search_parameter_names_json")
public func enas_search_parameter_names_json(
    _ search: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ cap: UInt, _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_search_parameter_names_json") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        try writeText(try parameterNamesJSON(object.layers), buf, cap, needed)
    }
}

/// `int32_t enas_search_parameter_shape(const enas_search *search, const char *name, int64_t *shape, int32_t cap,
///                                      int32_t *ndim_out)`
@_cdecl("enas_search_parameter_shape")
public func enas_search_parameter_shape(
    _ search: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ shape: UnsafeMutablePointer<Int64>?, _ cap: Int32,
    _ ndimOut: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall("enas_search_parameter_shape") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        try writeParameterShape(object.layers, name, shape, cap, ndimOut)
    }
}

/// `int32_t enas_search_get_parameter(const enas_search *search, const char *name, float *buf, size_t cap_elements,
///                                    size_t *needed)`
@_cdecl("enas_search_get_parameter")
public func enas_search_get_parameter(
    _ search: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<Float>?, _ capElements: UInt,
    _ needed: UnsafeMutablePointer<UInt>?
) -> Int32 {
    abiCall("enas_search_get_parameter") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        try copyParameterOut(object.layers, name, buf, capElements, needed)
    }
}

/// `int32_t enas_search_set_parameter(enas_search *search, const char *name, const void *data, int32_t dtype,
///                                    const int64_t *shape, int32_t ndim)`
@_cdecl("enas_search_set_parameter")
public func enas_search_set_parameter(
    _ search: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ data: UnsafeRawPointer?, _ dtype: Int32,
    _ shape: UnsafePointer<Int64>?, _ ndim: Int32
) -> Int32 {
    abiCall("enas_search_set_parameter") {
        let object = try HandleRegistry.shared.lookup(search, as: SearchObject.self, argument: "search")
        try object.control.exclusive { try setParameter(object.layers, name, data, dtype, shape, ndim) }
    }
}

/// `int32_t enas_search_free(enas_search *search)`
@_cdecl("enas_search_free")
public func enas_search_free(_ search: OpaquePointer?) -> Int32 {
    abiCall("enas_search_free") {
        try HandleRegistry.shared.release(search, as: SearchObject.self, argument: "search")
    }
}
