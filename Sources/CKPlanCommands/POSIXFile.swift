import Glibc

/// Files and standard error through the C library: ckplan's commands link no Foundation, whose
/// loading and start-up alone cost more than planning a device tree (Tests/Benchmarks/RESULTS.md).
enum POSIXFile {
    enum Failure: Error, Equatable {
        /// The path does not name a file (ENOENT, ENOTDIR).
        case noSuchFile
        /// open or read failed otherwise: strerror's text.
        case unreadable(String)
    }

    /// The first `limit` bytes of the file (fewer if it is shorter), read until end of file, so
    /// that files whose size `stat` does not know (/proc/iomem) are read whole.
    static func read(_ path: String, limit: Int) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(openFailure(errno)) }
        defer { _ = close(fd) }
        var bytes: [UInt8] = []
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0 { bytes.reserveCapacity(min(Int(info.st_size), limit)) }
        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while bytes.count < limit {
            let want = min(chunkSize, limit - bytes.count)
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(String(cString: strerror(errno))))
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        return .success(bytes)
    }

    /// The size `stat` reports, or the reason there is none.
    static func size(_ path: String) -> Result<UInt64, Failure> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(openFailure(errno)) }
        return .success(UInt64(max(info.st_size, 0)))
    }

    /// Whether `path` names anything (`stat` succeeds).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether `path` is a directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory, without "." and "..", unsorted.
    static func directoryEntries(_ path: String) -> Result<[String], Failure> {
        guard let dir = opendir(path) else { return .failure(openFailure(errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// Writes all of `text` to standard error (unbuffered, so it is out before the process exits).
    static func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(2, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                offset += n
            }
        }
    }

    private static func openFailure(_ code: Int32) -> Failure {
        code == ENOENT || code == ENOTDIR ? .noSuchFile : .unreadable(String(cString: strerror(code)))
    }
}
