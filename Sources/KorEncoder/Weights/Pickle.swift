import Foundation

/// A value built by `PickleReader`: the subset of Python objects a PyTorch state dict pickles to.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to a Python global: module and name.
    case global(String, String)
    /// A persistent reference to a tensor storage (`BINPERSID`): ('storage', type, key, location, numel).
    case storage(PickleStorage)
    /// The result of `torch._utils._rebuild_tensor_v2`.
    case tensor(PickleTensor)
    /// Any other object, named by the callable that built it.
    case object(String)
    case mark
}

/// A mutable Python list (lists are mutated after they are memoized).
final class PickleList { var items: [PickleValue] = [] }

/// A mutable Python dict, keeping insertion order.
final class PickleDict { var items: [(key: PickleValue, value: PickleValue)] = [] }

/// A tensor storage named in the pickle and stored as `data/<key>` in the archive.
struct PickleStorage {
    let key: String
    /// The storage class name, such as `FloatStorage`.
    let typeName: String
}

/// A tensor view over a storage.
struct PickleTensor {
    let storage: PickleStorage
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// Reads Python pickles (protocols 2 to 5) far enough to rebuild a PyTorch state dict, without running any
/// code: globals are recorded by name, and only the few torch rebuild functions are interpreted.
struct PickleReader {
    private let data: UnsafeRawBufferPointer
    private let source: String
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(data: UnsafeRawBufferPointer, source: String) {
        self.data = data
        self.source = source
    }

    private func failure(_ message: String) -> EncoderError {
        EncoderError(.corruptFile, "\(source): \(message)")
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= data.count - position else { throw failure("the pickle ends early") }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: data[position ..< position + count])
    }

    private mutating func byte() throws -> UInt8 { try take(1)[0] }

    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let raw = try take(MemoryLayout<T>.size)
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: raw) }
        return T(littleEndian: value)
    }

    private mutating func line() throws -> String {
        var end = position
        while end < data.count, data[end] != 0x0A { end += 1 }
        guard end < data.count else { throw failure("the pickle ends inside a GLOBAL name") }
        let text = String(decoding: data[position ..< end], as: UTF8.self)
        position = end + 1
        return text
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw failure("pickle stack underflow") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw failure("pickle MARK missing") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    /// A length read as an unsigned 64-bit value: beyond `Int` it cannot be in this pickle.
    private mutating func length64() throws -> Int {
        guard let count = Int(exactly: try integer(UInt64.self)) else { throw failure("the pickle ends early (an impossible length)") }
        return count
    }

    private mutating func text(_ count: Int) throws -> PickleValue {
        .string(String(decoding: try take(count), as: UTF8.self))
    }

    /// Runs the pickle to its STOP and returns the root object.
    mutating func read() throws -> PickleValue {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try integer(UInt64.self)  // FRAME
            case 0x2E: return try pop()  // STOP
            case 0x28: marks.append(stack.count)  // MARK
            case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4A: stack.append(.int(Int(try integer(Int32.self))))  // BININT
            case 0x4B: stack.append(.int(Int(try byte())))  // BININT1
            case 0x4D: stack.append(.int(Int(try integer(UInt16.self))))  // BININT2
            case 0x8A, 0x8B:  // LONG1, LONG4
                let count = opcode == 0x8A ? Int(try byte()) : Int(try integer(UInt32.self))
                let raw = try take(count)
                guard count <= 8 else { throw failure("integer too large in pickle") }
                var value: Int64 = 0
                for (index, byte) in raw.enumerated() { value |= Int64(byte) << (8 * Int64(index)) }
                if count > 0, count < 8, raw[count - 1] & 0x80 != 0 { value -= Int64(1) << (8 * Int64(count)) }
                stack.append(.int(Int(value)))
            case 0x47:  // BINFLOAT (big-endian)
                let raw = try take(8)
                var bits: UInt64 = 0
                for byte in raw { bits = bits << 8 | UInt64(byte) }
                stack.append(.float(Double(bitPattern: bits)))
            case 0x58: stack.append(try text(Int(try integer(UInt32.self))))  // BINUNICODE
            case 0x8C: stack.append(try text(Int(try byte())))  // SHORT_BINUNICODE
            case 0x8D: stack.append(try text(try length64()))  // BINUNICODE8
            case 0x54: stack.append(try text(Int(try integer(Int32.self))))  // BINSTRING
            case 0x55: stack.append(try text(Int(try byte())))  // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(Array(try take(Int(try integer(UInt32.self))))))  // BINBYTES
            case 0x43: stack.append(.bytes(Array(try take(Int(try byte())))))  // SHORT_BINBYTES
            case 0x8E: stack.append(.bytes(Array(try take(try length64()))))  // BINBYTES8
            case 0x63:  // GLOBAL
                let module = try line()
                stack.append(.global(module, try line()))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let m) = module, case .string(let n) = name else {
                    throw failure("STACK_GLOBAL without strings")
                }
                stack.append(.global(m, n))
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86:  // TUPLE2
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87:  // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case 0x6C:  // LIST
                let list = PickleList()
                list.items = try popMark()
                stack.append(.list(list))
            case 0x64:  // DICT
                let dict = PickleDict()
                let items = try popMark()
                for index in stride(from: 0, to: items.count - 1, by: 2) {
                    dict.items.append((items[index], items[index + 1]))
                }
                stack.append(.dict(dict))
            case 0x71: memo[Int(try byte())] = stack.last  // BINPUT
            case 0x72: memo[Int(try integer(UInt32.self))] = stack.last  // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let key = opcode == 0x68 ? Int(try byte()) : Int(try integer(UInt32.self))
                guard let value = memo[key] else { throw failure("pickle memo \(key) missing") }
                stack.append(value)
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32:  // DUP
                guard let top = stack.last else { throw failure("pickle stack underflow") }
                stack.append(top)
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                if case .dict(let dict)? = stack.last { dict.items.append((key, value)) }
            case 0x75:  // SETITEMS
                let items = try popMark()
                if case .dict(let dict)? = stack.last {
                    for index in stride(from: 0, to: items.count - 1, by: 2) {
                        dict.items.append((items[index], items[index + 1]))
                    }
                }
            case 0x61:  // APPEND
                let value = try pop()
                if case .list(let list)? = stack.last { list.items.append(value) }
            case 0x65:  // APPENDS
                let items = try popMark()
                if case .list(let list)? = stack.last { list.items.append(contentsOf: items) }
            case 0x62: _ = try pop()  // BUILD: state ignored
            case 0x51:  // BINPERSID
                stack.append(try persistentLoad(try pop()))
            case 0x52:  // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try reduce(callable, arguments))
            case 0x81:  // NEWOBJ
                _ = try pop()
                stack.append(.object(try objectName(try pop())))
            case 0x92:  // NEWOBJ_EX
                _ = try pop(); _ = try pop()
                stack.append(.object(try objectName(try pop())))
            default:
                throw failure(String(format: "unsupported pickle opcode 0x%02X at byte %d", opcode, position - 1))
            }
        }
    }

    private func objectName(_ value: PickleValue) throws -> String {
        if case .global(let module, let name) = value { return "\(module).\(name)" }
        return "object"
    }

    private func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let fields) = id, fields.count >= 3, case .string("storage") = fields[0],
            case .global(_, let typeName) = fields[1]
        else {
            throw failure("unexpected persistent id in the pickle (not a torch storage)")
        }
        let key: String
        switch fields[2] {
        case .string(let text): key = text
        case .int(let number): key = String(number)
        default: throw failure("torch storage without a key")
        }
        return .storage(PickleStorage(key: key, typeName: typeName))
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable else { return .object("object") }
        let arguments: [PickleValue] = if case .tuple(let items) = arguments { items } else { [] }
        switch (module, name) {
        case ("collections", "OrderedDict"):
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let offset) = arguments[1],
                case .tuple(let sizes) = arguments[2], case .tuple(let strides) = arguments[3]
            else {
                throw failure("malformed _rebuild_tensor_v2 arguments")
            }
            let shape = sizes.compactMap { if case .int(let v) = $0 { v } else { nil } }
            let steps = strides.compactMap { if case .int(let v) = $0 { v } else { nil } }
            guard shape.count == sizes.count, steps.count == strides.count, shape.count == steps.count, shape.count <= 8 else {
                throw failure("malformed tensor shape in the pickle")
            }
            return .tensor(PickleTensor(storage: storage, offset: offset, shape: shape, strides: steps))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            return arguments.first ?? .none
        default:
            return .object("\(module).\(name)")
        }
    }
}
