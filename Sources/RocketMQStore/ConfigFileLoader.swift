// config/*.json as the broker loads them: the file, or its `.bak` when the file is missing,
// empty or unparsable (`ConfigManager.load`, FORMAT.md §17).

import RocketMQFormat

public enum ConfigFileLoader {
    public struct Loaded: Sendable {
        public var value: JSONValue
        /// The raw text, for the typed models' decoders.
        public var bytes: [UInt8]
        /// `config/<name>` or `config/<name>.bak`: which file the value came from.
        public var source: String
        /// Why the main file was not used, when the backup was.
        public var problem: String?
    }

    /// Loads `config/<name>`; nil when neither it nor its `.bak` exists.
    public static func load(_ name: String, in layout: StoreLayout) throws(StoreError) -> Loaded? {
        var problem: String?
        for candidate in [name, name + ".bak"] {
            let path = layout.root + "/config/" + candidate
            guard FileSystem.exists(path) else {
                if candidate == name { problem = "config/\(name) is missing" }
                continue
            }
            let bytes = try FileSystem.readFile(path)
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                if candidate == name { problem = "config/\(name) is empty" }
                continue
            }
            do {
                return Loaded(value: try FastJSON.parse(bytes), bytes: bytes, source: "config/" + candidate, problem: candidate == name ? nil : problem)
            } catch {
                if candidate == name { problem = "config/\(name) does not parse: \(error)" }
            }
        }
        return nil
    }
}
