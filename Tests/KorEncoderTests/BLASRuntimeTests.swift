import KorEncoder
import XCTest

/// The choice of OpenBLAS kernels: native ones instead of the generic fallback, never over the user's choice.
final class BLASRuntimeTests: XCTestCase {
    func testNativeKernelsAreChosenOnlyOverTheGenericFallback() {
        let avx512: Set<String> = ["sse2", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"]
        XCTAssertEqual(BLASRuntime.nativeCoreType(current: "Prescott", cpuFlags: avx512, environment: [:]), "SkylakeX")
        XCTAssertEqual(BLASRuntime.nativeCoreType(current: "Prescott", cpuFlags: ["avx2", "fma"], environment: [:]), "Haswell")
        XCTAssertNil(BLASRuntime.nativeCoreType(current: "Prescott", cpuFlags: ["sse2", "sse3"], environment: [:]), "nothing better")
        XCTAssertNil(BLASRuntime.nativeCoreType(current: "SkylakeX", cpuFlags: avx512, environment: [:]), "OpenBLAS chose itself")
        XCTAssertNil(
            BLASRuntime.nativeCoreType(current: "Prescott", cpuFlags: avx512, environment: ["OPENBLAS_CORETYPE": "Prescott"]),
            "the user's choice stands")
        XCTAssertFalse(BLASRuntime.core.isEmpty)
    }
}
