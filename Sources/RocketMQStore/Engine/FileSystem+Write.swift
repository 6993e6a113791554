// Write-side system calls the engine needs (directories, atomic small files).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FileSystem {
    /// `mkdir -p`.
    public static func makeDirectories(_ path: String) throws(StoreError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 {
                let code = errno
                if code != EEXIST || !isDirectory(prefix) {
                    throw StoreError(.io, path: prefix, "cannot create directory: \(errorText(code))", errno: code)
                }
            }
        }
    }

    /// Creates an empty file if it does not exist (`File.createNewFile`).
    public static func createEmptyFile(_ path: String) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw StoreError(.io, path: path, "cannot create: \(errorText(code))", errno: code)
        }
        _ = fsync(fd)
        close(fd)
        MappedFile.syncDirectory(of: path)
    }

    /// Deletes a file; a missing file is not an error.
    public static func removeFile(_ path: String) throws(StoreError) {
        if unlink(path) != 0 {
            let code = errno
            if code == ENOENT { return }
            throw StoreError(.io, path: path, "cannot delete: \(errorText(code))", errno: code)
        }
        MappedFile.syncDirectory(of: path)
    }

    /// Removes an empty directory, ignoring failures (a directory that still holds files stays).
    public static func removeEmptyDirectory(_ path: String) {
        _ = rmdir(path)
    }
}
