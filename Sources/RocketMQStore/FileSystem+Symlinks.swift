// Why a symbolic link does not lead anywhere usable, for errors that name the real cause.
//
// `FileSystem.status` reports a link it cannot follow as `.symlink`; without this the store
// root or commitlog/ would then be called "not a directory" or "missing", which sends the user
// looking in the wrong place when the cause is a link loop or a dangling link.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FileSystem {
    /// The error for a link at `path` that `stat` cannot follow (ELOOP, ENOENT, EACCES…).
    public static func unresolvedLinkError(_ path: String) -> StoreError {
        var target = stat()
        let code: Int32 = stat(path, &target) == 0 ? 0 : errno
        let reason = switch code {
        case ELOOP: "symbolic link loop (too many levels of symbolic links)"
        case ENOENT: "dangling symbolic link (its target does not exist)"
        case 0: "symbolic link to something that is neither a file nor a directory"
        default: "symbolic link cannot be followed: \(errorText(code))"
        }
        return StoreError(.io, path: path, reason, errno: code == 0 ? nil : code)
    }
}
