// Shared helpers for decoding the config JSON models (FORMAT.md §17).
//
// Once text is parsed into JSONValue the byte offsets are gone, so model errors name the JSON
// path in `field` and use offset 0.

enum ConfigJSON {
    static func parseObject(
        _ bytes: UnsafeRawBufferPointer, structure: String
    ) throws(FormatError) -> [JSONMember] {
        let root: JSONValue
        do throws(FormatError) {
            root = try FastJSON.parse(bytes)
        } catch {
            var error = error
            error.structure = structure + " JSON"
            throw error
        }
        guard let members = root.members else {
            throw FormatError(structure: structure, field: "$", offset: 0, expected: "a JSON object")
        }
        return members
    }

    /// The object at `key`, [] when the key is missing or null (fastjson leaves the field empty).
    static func object(
        _ value: JSONValue?, structure: String, path: String
    ) throws(FormatError) -> [JSONMember] {
        guard let value, !value.isNull else { return [] }
        guard let members = value.members else {
            throw FormatError(structure: structure, field: path, offset: 0, expected: "an object")
        }
        return members
    }

    static func int64(_ value: JSONValue, structure: String, path: String) throws(FormatError) -> Int64 {
        guard let number = value.int64Value else {
            throw FormatError(structure: structure, field: path, offset: 0, expected: "an integer, found \(value)")
        }
        return number
    }

    static func int32(_ value: JSONValue, structure: String, path: String) throws(FormatError) -> Int32 {
        guard let number = value.int32Value else {
            throw FormatError(structure: structure, field: path, offset: 0, expected: "an int (32-bit), found \(value)")
        }
        return number
    }

    /// A map key that Java reads as an Integer (`Integer.parseInt`).
    static func intKey(_ key: String, structure: String, path: String) throws(FormatError) -> Int32 {
        guard let number = JavaString.parseInt(key) else {
            throw FormatError(structure: structure, field: path, offset: 0, expected: "an integer key, found \"\(key)\"")
        }
        return number
    }
}
