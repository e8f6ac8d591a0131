// The live-handle registry. A handle crossing the ABI is a registry id cast to an opaque pointer, never an object's
// address: ids are never reused (freed addresses are), so a stale handle, a double free, a garbage value or a handle
// of the wrong kind is found in the table, or not, and reported as ENAS_ERR_INVALID_HANDLE instead of crashing.
import Synchronization

/// The kinds of object a handle can name; the raw value is the C type's name without `enas_` (used in messages).
enum HandleKind: String, Sendable {
    case tensor
    case arch
    case corpus
    case images
    case search
    case model

    /// "a tensor", "an arch": for messages.
    var withArticle: String { ("aeiou".contains(rawValue.first!) ? "an " : "a ") + rawValue }
}

/// An object owned by the registry. Handles are used by one thread at a time (enas.h's thread-safety contract),
/// so the objects themselves are not locked; the registry's table is.
protocol HandleObject: AnyObject, Sendable {
    static var kind: HandleKind { get }
}

/// Maps live ids to (kind, object) under a lock.
final class HandleRegistry: Sendable {
    static let shared = HandleRegistry()

    private struct Entry {
        let kind: HandleKind
        let object: any HandleObject
    }

    private struct Table: ~Copyable {
        /// The next id to hand out; 0 is never used, so no handle is NULL.
        var nextID: UInt64 = 1
        var live: [UInt64: Entry] = [:]
    }

    private let table = Mutex(Table())

    /// Registers `object` and returns its new handle.
    func register(_ object: some HandleObject) -> OpaquePointer {
        let id = table.withLock { (table: inout Table) -> UInt64 in
            let id = table.nextID
            table.nextID += 1
            table.live[id] = Entry(kind: type(of: object).kind, object: object)
            return id
        }
        // id ≥ 1, so the bit pattern is never NULL.
        return OpaquePointer(bitPattern: UInt(id))!
    }

    /// The live object of type `T` named by `handle`; `argument` names the parameter in messages.
    func lookup<T: HandleObject>(_ handle: OpaquePointer?, as type: T.Type, argument: String) throws -> T {
        let id = try Self.id(of: handle, argument: argument)
        let entry = table.withLock { $0.live[id] }
        return try Self.check(entry, id: id, as: type, argument: argument)
    }

    /// Removes the object of type `T` named by `handle`; NULL is a no-op.
    func release<T: HandleObject>(_ handle: OpaquePointer?, as type: T.Type, argument: String) throws {
        guard handle != nil else { return }
        let id = try Self.id(of: handle, argument: argument)
        // Checked and removed under one lock, so two threads freeing the same handle cannot both succeed.
        let removed = table.withLock { (table: inout Table) -> Entry? in
            guard let entry = table.live[id], entry.kind == T.kind else { return table.live[id] }
            table.live[id] = nil
            return entry
        }
        _ = try Self.check(removed, id: id, as: type, argument: argument)
    }

    private static func id(of handle: OpaquePointer?, argument: String) throws -> UInt64 {
        guard let handle else { throw ABIError.invalidHandle("\(argument) is NULL") }
        return UInt64(UInt(bitPattern: handle))
    }

    private static func check<T: HandleObject>(
        _ entry: Entry?, id: UInt64, as type: T.Type, argument: String
    ) throws -> T {
        let shown = "0x" + String(id, radix: 16)
        guard let entry else {
            throw ABIError.invalidHandle(
                "\(argument) = \(shown) is not a live handle (already freed, or not created by this library)")
        }
        guard entry.kind == T.kind, let object = entry.object as? T else {
            throw ABIError.invalidHandle(
                "\(argument) = \(shown) is \(entry.kind.withArticle) handle, not \(T.kind.withArticle)")
        }
        return object
    }
}
