import Foundation
import Testing
import TestSupport

/// man/ must stay in step with the CLI: every subcommand (nested ones included) has a page, and
/// every option its `--help` lists appears on that page (regenerate with man/generate.sh). The
/// subcommands are read from the CLI's own help, so a new one cannot be forgotten.
@Suite struct ManPageTests {
    /// Subcommand paths (e.g. ["replay", "delayed"]) listed under SUBCOMMANDS: in `--help`.
    static func subcommands(of path: [String] = []) throws -> [[String]] {
        let help = try CLI.run(path + ["--help"])
        guard let start = help.stdout.range(of: "SUBCOMMANDS:\n") else { return [] }
        var result: [[String]] = []
        for line in help.stdout[start.upperBound...].split(separator: "\n") {
            // A subcommand line is indented by two spaces; wrapped abstracts by many more.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                  name != "See" else { continue }
            let child = path + [String(name)]
            result.append(child)
            result += try subcommands(of: child)
        }
        return result
    }

    @Test func everySubcommandHasAPageListingEveryOption() throws {
        let all = try Self.subcommands()
        #expect(all.count >= 10 && all.contains(["replay", "delayed"]))
        for path in all {
            let help = try CLI.run(path + ["--help"])
            #expect(help.status == 0)
            let pageName = "rmqstore.\(path.joined(separator: ".")).1"
            guard let page = try? String(contentsOfFile: "\(Fixtures.packageRoot)/man/\(pageName)", encoding: .utf8) else {
                Issue.record("man/\(pageName) is missing: run man/generate.sh")
                continue
            }
            // Options are what the OPTIONS: section lists (prose elsewhere may mention others).
            let listed = help.stdout.range(of: "OPTIONS:\n").map { help.stdout[$0.upperBound...] } ?? ""
            let options = Set(listed.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == "/" })
                .filter { $0.hasPrefix("--") && $0.count > 2 }
                .map { String($0.prefix { $0 != "=" && $0 != ")" && $0 != "." && $0 != ":" }) })
            for option in options where option != "--help" && option != "--version" {
                // mdoc writes `--name` as `Fl -name`.
                #expect(page.contains("Fl -" + option.dropFirst(2)), "man/\(pageName) lacks \(option): run man/generate.sh")
            }
        }
    }

    @Test func overviewNamesEverySubcommand() throws {
        let page = try String(contentsOfFile: "\(Fixtures.packageRoot)/man/rmqstore.1", encoding: .utf8)
        for path in try Self.subcommands() where path.count == 1 {
            #expect(page.contains("Cm \(path[0])"), "man/rmqstore.1 does not name \(path[0])")
        }
    }
}
