import Foundation
import KorSearchCore

/// A vector as the catalog stores it: little-endian float16 (`StoredVector`), half the bytes of float32; a
/// vector with a value beyond float16's range is kept as float32, as every vector of catalogs written before
/// was: the blob's length tells which.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        guard StoredVector.fitsHalf(vector) else { return vector.withUnsafeBufferPointer { Data(buffer: $0) } }
        let half = vector.map { Float16($0).bitPattern.littleEndian }
        return half.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The vector of a blob holding `dimension` float16 or float32 values; nil for any other length.
    static func decode(_ data: Data, dimension: Int) -> [Float]? {
        if data.count == 2 * dimension {
            return data.withUnsafeBytes { raw in raw.bindMemory(to: UInt16.self).map { Float(Float16(bitPattern: UInt16(littleEndian: $0))) } }
        }
        guard data.count == 4 * dimension else { return nil }
        return data.withUnsafeBytes { raw in Array(raw.bindMemory(to: Float.self)) }
    }
}
