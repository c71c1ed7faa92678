import CBLAS
import Foundation

/// Which kernels OpenBLAS runs. OpenBLAS picks them by the processor's model number when it loads; a processor
/// newer than the library knows gets the generic `Prescott` (SSE3) kernels. Debian's OpenBLAS 0.3.21 does not
/// know Emerald Rapids (model 207, this project's machine), so every fp32 matrix product — the encoder's fp32
/// path and FAISS's exact scan — ran 2–3× slower than the processor allows. `OPENBLAS_CORETYPE` chooses the
/// kernels instead; it must be set before OpenBLAS loads, so a program sets it and starts itself again
/// (`relaunchWithNativeKernelsIfNeeded`, which `korsearch` does first thing).
public enum BLASRuntime {
    /// The kernels OpenBLAS chose (`Prescott`, `Haswell`, `SkylakeX`, `Cooperlake`, ...).
    public static var core: String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }

    /// The `OPENBLAS_CORETYPE` to run with instead of generic kernels: `SkylakeX` when the processor has
    /// AVX-512 (F, BW, VL, DQ), `Haswell` with AVX2 and FMA; nil when OpenBLAS chose specific kernels itself or
    /// the user set `OPENBLAS_CORETYPE`.
    /// (`cpuFlags` is only read when OpenBLAS did fall back.)
    public static func nativeCoreType(current: String, cpuFlags: @autoclosure () -> Set<String>, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, current.lowercased() == "prescott" else { return nil }
        let flags = cpuFlags()
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// The processor's feature flags (Linux `/proc/cpuinfo`), empty where they cannot be read.
    public static var cpuFlags: Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// When OpenBLAS fell back to generic kernels on a processor that has better ones, sets
    /// `OPENBLAS_CORETYPE` and replaces the process with itself (same arguments and environment otherwise).
    /// Call it first thing in `main`, before any thread starts; it returns when nothing needs doing or the
    /// restart fails (the program then runs on the generic kernels).
    public static func relaunchWithNativeKernelsIfNeeded() {
        guard let coreType = nativeCoreType(current: core, cpuFlags: cpuFlags, environment: ProcessInfo.processInfo.environment) else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
